from django import template

from collectivites import destinataires as regle

register = template.Library()


@register.simple_tag
def destinataires(collectivite) -> str:
    """Where the collectivité's e-mails will go, or why none can (the contact rule, as the e-mails apply it)."""
    adresses = regle.destinataires(collectivite)
    return ", ".join(adresses) if adresses else "aucune adresse : envoi impossible"
