def test_every_demo_login_works_and_lands_on_its_home(page):
    # given the demo's printed logins
    from dinghuo.demo.logins import DEMO_LOGINS

    for username, _what in DEMO_LOGINS:
        # when each signs in
        page.page.context.clear_cookies()
        page.login(username)
        # then they land on their side of the product
        if username == "admin":
            assert "/admin/" in page.page.url
        elif "-d01" in username or "-gd01" in username or "-zj01" in username:
            assert "/portal/" in page.page.url, username
        else:
            assert "/bo/" in page.page.url, username
    page.shot("last-login")
