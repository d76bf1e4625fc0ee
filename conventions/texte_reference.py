"""The 2021-2022 convention of the académie de Montpellier (../shared/seed/), word for word, typos included: the
first version of every académie's text (migration 0009) and the text of a campaign that has none yet.

Never edit it: a rectorat compares its conventions line by line with what was signed, and migration 0009 reads it.
A new wording is a new version, made in the admin (conventions.texte).
"""

TITRE = (
    "Convention de partenariat pour la mise à disposition d'un environnement numérique de travail (ENT-école)\n"
    "Année scolaire {{ annee }}"
)

CLAUSE_NB = (
    "NB : En cas de paiement des participations financières par chaque commune d'un regroupement de communes, une "
    "convention doit être établie pour chaque commune."
)

TITRE_PREAMBULE = "PREAMBULE"

PREAMBULE = """\
Dans le cadre de la mise en place depuis 2013 d'un ENT académique 1er degré, projet d'intérêt général dénommé \
ENT-école, les parties contractantes, conscientes des enjeux du numérique pour la réussite des élèves, conviennent de \
mettre en œuvre un plan de développement des usages du numérique à l'école. L'académie s'appuie notamment sur la \
politique éducative et son volet numérique proposés par le ministère de l'Education nationale.

L'académie et les collectivité signataires se fixent comme objectif le développement des usages du numérique \
éducatif et de l'espace numérique de travail ENT-école. A cette fin elles coopèrent et mutualisent leurs moyens.

Par le projet ENT-école, l'académie s'engage sur le déploiement d'un ENT pour le premier degré. Elle met à \
disposition une solution applicative et propose un accompagnement et une formation aux enseignants qui s'engagent sur \
ce projet. L'académie assure en outre l'hébergement et l'assistance.

L'ENT-école permet d'offrir sur l'ensemble du territoire académique un ENT unique afin d'offrir un environnement de \
confiance cohérent (dans la continuité de l'ENT second degré unique déployé pour tous les lycées et collèges de \
l'académie), une formation uniforme des personnels, une mutualisation des ressources pédagogiques et une assistance \
optimisée."""

# (numéro, titre, corps): a number with a dot is a sub-article ("Article 2.1 …"), the others "ARTICLE 1 – …".
ARTICLES = (
    (
        "1",
        "Objet de la convention",
        """\
La présente convention a pour objet de définir le cadre général de la mise en œuvre de l'ENT-école pour les élèves \
des écoles de la collectivité.

Elle en définit les principes et les modalités d'organisation, en les replaçant dans le cadre du déploiement de \
l'ENT-école pour les écoles, et des objectifs fixés pour le développement du numérique dans l'enseignement.

La solution applicative mise à disposition dans le cadre de l'ENT pour l'enseignement premier degré est \
personnalisée pour l'académie et évolutive.

Elle s'inscrit dans le programme des ENT de l'Education nationale et propose les services décrits dans ce cadre.""",
    ),
    (
        "2",
        "Mise en œuvre de l'ENT",
        """\
L'ENT-école offre à chaque usager (enseignant, élève, directeur, parent, personnel de la collectivité) un accès \
simple, dédié et sécurisé aux outils et contenus dont il a besoin. Les usagers bénéficient à travers un service web, \
d'un accès authentifié et de services spécifiques selon leur profil.""",
    ),
    (
        "2.1",
        "Équipement informatique et connexion à Internet dans les écoles",
        """\
La commune assure l'équipement informatique et les accès Internet nécessaires à l'utilisation de l'ENT-école. Le \
type de connexion et le service de fourniture d'accès doivent être suffisants pour l'usage qui sera fait, et \
dimensionné en fonction du nombre d'élèves amenés à se connecter simultanément (des préconisations seront définies \
pour chaque année scolaire).""",
    ),
    (
        "2.2",
        "Ressources et contenus pédagogiques",
        "L'académie accompagne la diffusion de contenus pédagogiques dans l'ENT-école.",
    ),
    (
        "2.3",
        "Hébergement du logiciel ENT",
        """\
En tant que service informatique du rectorat, la Direction des Systèmes d'Informations et de l'Innovation (DSII) \
assure l'hébergement de l'application et des comptes usagers sur ses serveurs.""",
    ),
    (
        "2.4",
        "Accompagnement et formation des utilisateurs",
        """\
La formation aux usages du numérique et l'accompagnement à la conduite du changement des enseignants et directeurs \
sont pris en charge par l'Éducation nationale au niveau des volets départementaux des plans de formation, des \
animations pédagogiques et de l'accompagnement de projet assuré par les correspondants numériques de \
circonscription.""",
    ),
    (
        "2.5",
        "Assistance de premier niveau",
        """\
L'assistance de premier niveau, est fournie par les correspondants numériques de circonscription : aide à \
l'utilisateur, diagnostic d'un dysfonctionnement signalé, aide à la résolution du dysfonctionnement avec \
l'enseignant. En cas de non résolution du problème signalé, celui-ci est transmis au niveau 2""",
    ),
    (
        "2.6",
        "Support de niveau 2, maintenance corrective et évolutive",
        """\
Le pôle d'assistance académique de la Direction des Systèmes d'Informations et de l'Innovation (DSII) du rectorat de \
{{ ville_rectorat }} prend en charge l'assistance de niveau 2 (expertise, analyse, traitement des dysfonctionnements \
liés à l'hébergement, envoi éventuel sur l'assistance de niveau 3).

L'assistance de niveau 3, la maintenance corrective et la maintenance évolutive sont prises en charge par l'éditeur \
de la solution applicative.

Les demandes d'évolution sont gérées au niveau académique et résultent des demandes exprimées par un groupe de \
travail dédié constitué d'utilisateurs représentatifs, et de représentants de mairies.""",
    ),
    (
        "2.7",
        "Profil utilisateur pour les agents de la commune",
        """\
Un profil utilisateur « référent ville » et des profils « contributeurs » permettent la publication d'informations \
sur des pages et dans des espaces personnalisables, dédiés à la communication de la commune.""",
    ),
    (
        "3",
        "Durée de la convention",
        "La présente convention prend effet à la date de signature et se termine au {{ date_fin }}.",
    ),
    (
        "4",
        "Valorisation financière de l'ENT premier degré",
        """\
Le coût de l'ENT-école comprend la mise à disposition du logiciel de l'ENT-école pour la durée de la convention, \
l'hébergement, l'assistance pour les utilisateurs, la maintenance corrective et évolutive.

Les participations financières collectées ont pour seul but de couvrir les dépenses engagées au titre de \
l'ENT-école.""",
    ),
    (
        "5",
        "Nature des contributions financières",
        """\
Le financement de l'ENT-école est assuré par l'engagement fort de l'académie et la participation des collectivités, \
celles-ci n'étant sollicitées que pour un coût réduit fixé à {{ tarif_en_euros }} TTC par école et par an.""",
    ),
    (
        "6",
        "Paiement des participations financières",
        """\
La contribution financière de la collectivité correspond au nombre d'écoles inscrites à l'ENT-école pour l'année \
scolaire en cours.

Le paiement des participations financières par année scolaire s'effectue après émission par le Rectorat de \
l'{{ academie }} d'un titre de perception à l'encontre de la collectivité.""",
    ),
    (
        "7",
        "Montant de la participation financière",
        """\
Au titre de l'année scolaire {{ annee }}, {{ ecoles_inscrites }} à l'ENT-école pour un montant correspondant à \
{{ montant }} TTC ({{ nb_ecoles }} x {{ tarif }} TTC).

La liste des écoles inscrites correspondant à cette participation financière est établie dans l'annexe 1 : \
« {{ titre_annexe }} ».""",
    ),
    (
        "8",
        "Litiges – Conciliation",
        """\
Si l'une des parties estime que la présente convention n'est pas respectée, elle adresse à l'autre partie une lettre \
recommandée avec accusé de réception valant mise en demeure lui exposant ses griefs.

Une conciliation entre les parties est alors organisée à l'initiative de la partie la plus diligente au plus tard \
dans le délai d'un mois. En cas d'échec de la conciliation, la présente convention peut être résiliée de plein droit, \
par la partie qui estime que les engagements réciproques inscrits dans la convention n'ont pas été respectés à \
l'expiration d'un délai de quinze jours suivant l'envoi d'une lettre recommandée avec accusé de réception. Cette \
lettre précise les motifs de la résiliation. Les sommes perçues par le Rectorat de l'{{ academie }} au titre de la \
présente convention ne pourront faire l'objet de remboursement.""",
    ),
)

TITRE_ANNEXE = "Liste des écoles inscrites à l'ENT-école pour l'année scolaire {{ annee }}"
