from django.urls import path

from dinghuo.portal.views import account, cart, catalog, checkout, home, imports, orders

app_name = "portal"
urlpatterns = [
    path("", home.home, name="home"),
    # catalog
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/suggest/", catalog.suggestions, name="suggest"),
    path("products/<int:pk>/", catalog.product, name="product"),
    # cart, quick order, import
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.cart_add, name="cart_add"),
    path("cart/lines/<int:pk>/", cart.cart_set, name="cart_set"),
    path("cart/lines/<int:pk>/remove/", cart.cart_remove, name="cart_remove"),
    path("cart/clear/", cart.cart_clear, name="cart_clear"),
    path("quick/", cart.quick_order, name="quick_order"),
    path("import/", imports.import_start, name="import"),
    path("import/template.xlsx", imports.import_template, name="import_template"),
    path("import/<int:pk>/", imports.import_job, name="import_job"),
    path("import/<int:pk>/report.xlsx", imports.import_report, name="import_report"),
    path("checkout/", checkout.checkout, name="checkout"),
    # orders
    path("orders/", orders.order_list, name="orders"),
    path("orders/<int:pk>/", orders.order_detail, name="order"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/receive/", orders.order_receive, name="order_receive"),
    path("orders/<int:pk>/reorder/", orders.order_reorder, name="order_reorder"),
    path("orders/<int:pk>/pdf/", orders.order_pdf, name="order_pdf"),
    # account
    path("account/", account.account, name="account"),
    path("account/ledger/", account.ledger, name="ledger"),
    path("account/users/", account.user_add, name="user_add"),
    path("account/users/<int:pk>/disable/", account.user_disable, name="user_disable"),
    path("account/users/<int:pk>/enable/", account.user_enable, name="user_enable"),
    path("account/users/<int:pk>/role/", account.user_role, name="user_role"),
    path("account/notifications/", account.notifications, name="notifications"),
    path("account/notifications/read/", account.notifications_read_all, name="notifications_read_all"),
    path("account/notifications/<int:pk>/read/", account.notification_read, name="notification_read"),
]
