"""Back-office pages (管理端), one module per area. Thin: parse, authorise, call one service, render."""
