from django.conf import settings
from django.contrib import admin
from django.urls import path

admin.site.site_header = "ENT-école — conventions de partenariat"
admin.site.site_title = "ENT-école conventions"
admin.site.index_title = "Gestion des conventions"

urlpatterns = [
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
