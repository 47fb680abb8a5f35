from django.contrib import admin

from dinghuo.core.admin_base import TenantAdmin
from dinghuo.dealers.models import Address, Contact, Dealer, DealerRegion, DealerTier, PriceGroup


class RegionInline(admin.TabularInline):
    model = DealerRegion
    extra = 0
    fields = ("region_code",)

    def get_queryset(self, request):
        return DealerRegion.unscoped.all()

    def has_add_permission(self, request, obj=None):
        return False


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    fields = ("label", "receiver", "phone", "province_code", "city_code", "district_code", "detail", "is_default")
    readonly_fields = fields

    def get_queryset(self, request):
        return Address.unscoped.all()

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dealer)
class DealerAdmin(TenantAdmin):
    list_display = ("code", "name", "tier", "status", "region_code", "sales_rep", "parent")
    list_select_related = ("tenant", "tier", "sales_rep", "parent")
    list_filter = ("tenant", "status")
    search_fields = ("code", "name", "contact_name")
    raw_id_fields = ("tier", "price_group", "sales_rep", "parent")
    inlines = [RegionInline, AddressInline]

    def get_queryset(self, request):
        return Dealer.unscoped.select_related("tenant", "tier", "sales_rep", "parent")


@admin.register(DealerTier)
class DealerTierAdmin(TenantAdmin):
    list_display = ("code", "name", "rank")


@admin.register(PriceGroup)
class PriceGroupAdmin(TenantAdmin):
    list_display = ("code", "name")


@admin.register(Contact)
class ContactAdmin(TenantAdmin):
    list_display = ("dealer", "name", "title", "phone", "email")
    raw_id_fields = ("dealer",)
