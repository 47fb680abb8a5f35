// Back-office behaviours. No inline scripts (the CSP allows script-src 'self' only): pages pass data
// with Django's json_script and mark elements with data-* attributes that this file acts on.
(function () {
  "use strict";

  var BRAND = "#c0392b";
  var PALETTE = [BRAND, "#2c7be5", "#00a67e", "#f6a609", "#6f42c1", "#17a2b8"];

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily;
  }

  // --- charts (ECharts, loaded only on the pages that draw one) -----------------------------------
  var builders = {
    daily: function (d) {
      return {
        color: PALETTE,
        textStyle: { fontFamily: fontFamily() },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { data: [d.labels.orders, d.labels.amount], top: 0, right: 0, itemWidth: 12, itemHeight: 8 },
        grid: { left: 8, right: 8, top: 32, bottom: 4, containLabel: true },
        xAxis: { type: "category", data: d.days, axisTick: { alignWithLabel: true },
                 axisLabel: { color: "#6c757d", hideOverlap: true } },
        yAxis: [
          { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f2" } },
            axisLabel: { color: "#6c757d" } },
          { type: "value", splitLine: { show: false },
            axisLabel: { color: "#6c757d", formatter: function (v) { return v >= 10000 ? (v / 10000) + "万" : v; } } }
        ],
        series: [
          { name: d.labels.orders, type: "bar", data: d.orders, barMaxWidth: 18,
            itemStyle: { borderRadius: [3, 3, 0, 0], color: "rgba(192,57,43,.85)" } },
          { name: d.labels.amount, type: "line", yAxisIndex: 1, smooth: true, symbolSize: 5,
            data: d.amount.map(Number), itemStyle: { color: "#2c7be5" }, areaStyle: { opacity: 0.08 } }
        ]
      };
    },
    // the sales report: the period's amount by month, with its monthly average
    monthly: function (d) {
      var yuan = function (v) {
        return "¥" + Number(v).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      };
      return {
        color: PALETTE,
        textStyle: { fontFamily: fontFamily() },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: yuan },
        grid: { left: 8, right: 16, top: 24, bottom: 4, containLabel: true },
        xAxis: { type: "category", data: d.months, axisTick: { alignWithLabel: true },
                 axisLabel: { color: "#6c757d", hideOverlap: true } },
        yAxis: { type: "value", splitLine: { lineStyle: { color: "#eef0f2" } },
                 axisLabel: { color: "#6c757d", formatter: function (v) { return v >= 10000 ? (v / 10000) + "万" : v; } } },
        series: [{
          name: d.labels.amount, type: "bar", data: d.amount.map(Number), barMaxWidth: 28,
          itemStyle: { borderRadius: [3, 3, 0, 0], color: BRAND },
          markLine: { symbol: "none", silent: true, lineStyle: { color: "#2c7be5", type: "dashed" },
                      label: { formatter: d.labels.average, position: "insideEndTop", color: "#2c7be5" },
                      data: [{ type: "average", name: d.labels.average }] }
        }]
      };
    },
    provinces: function (d) {
      var n = Math.min(d.names.length, 12);
      var names = d.names.slice(0, n).reverse();
      var amounts = d.amount.slice(0, n).map(Number).reverse();
      var orders = d.orders.slice(0, n).reverse();
      return {
        color: PALETTE,
        textStyle: { fontFamily: fontFamily() },
        tooltip: {
          trigger: "axis", axisPointer: { type: "shadow" },
          formatter: function (items) {
            var i = items[0].dataIndex;
            return names[i] + "<br>" + d.labels.amount + ": ¥" + amounts[i].toLocaleString("zh-CN") +
              "<br>" + d.labels.orders + ": " + orders[i];
          }
        },
        grid: { left: 4, right: 16, top: 8, bottom: 4, containLabel: true },
        xAxis: { type: "value", splitLine: { lineStyle: { color: "#eef0f2" } },
                 axisLabel: { color: "#6c757d", formatter: function (v) { return v >= 10000 ? (v / 10000) + "万" : v; } } },
        yAxis: { type: "category", data: names, axisTick: { show: false }, axisLabel: { color: "#495057" } },
        series: [{ name: d.labels.amount, type: "bar", data: amounts, barMaxWidth: 16,
                   itemStyle: { borderRadius: [0, 3, 3, 0], color: BRAND } }]
      };
    }
  };

  var charts = [];
  function drawCharts(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) return;
      var data = readJSON(el.getAttribute("data-source"));
      var build = builders[el.getAttribute("data-chart")];
      if (!data || !build) return;
      var values = data.orders || data.amount || [];
      var empty = !values.some(function (v) { return Number(v) > 0; });
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      var option = build(data);
      if (empty) {
        option.graphic = { type: "text", left: "center", top: "middle",
                           style: { text: el.getAttribute("data-empty") || "—", fill: "#adb5bd", fontSize: 14 } };
      }
      chart.setOption(option);
      el.setAttribute("data-drawn", "1");
      charts.push(chart);
    });
  }
  var resizeTimer;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });

  // --- forms -----------------------------------------------------------------------------------------
  // <select data-autosubmit> submits its form when changed (e.g. choosing the dealer of an order).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  // Formsets: <button data-formset-add="lines"> clones <template id="lines-template"> (prefix __prefix__).
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-formset-add]");
    if (!btn) return;
    ev.preventDefault();
    var prefix = btn.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var tpl = document.getElementById(prefix + "-template");
    var body = document.getElementById(prefix + "-rows");
    if (!total || !tpl || !body) return;
    var index = parseInt(total.value, 10) || 0;
    var html = tpl.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = body.lastElementChild && body.lastElementChild.querySelector("input");
    if (first) first.focus();
  });
  // Formset rows: <button data-row-clear> empties the row's inputs (an empty row is ignored).
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-row-clear]");
    if (!btn) return;
    ev.preventDefault();
    var row = btn.closest("tr, .bo-row");
    if (row) row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
  });

  // A price list's target fields follow its kind: <select data-kind-select> shows the matching
  // [data-kind-field] wrapper and hides the others.
  var KIND_FIELD = { contract: "dealer", group: "price_group", tier: "tier", region: "region_code" };
  function syncKind(select) {
    var wanted = KIND_FIELD[select.value] || "";
    var form = select.form;
    if (!form) return;
    form.querySelectorAll("[data-kind-field]").forEach(function (field) {
      var wrap = field.closest(".mb-3") || field.parentElement;
      var show = field.getAttribute("data-kind-field") === wanted;
      wrap.hidden = !show;
    });
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-kind-select]")) syncKind(ev.target);
  });

  // Checkbox "select all" for bulk actions: <input data-check-all="name">.
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el.matches || !el.matches("[data-check-all]")) return;
    document.querySelectorAll("input[type=checkbox][name='" + el.getAttribute("data-check-all") + "']")
      .forEach(function (c) { c.checked = el.checked; });
  });

  // Close the off-canvas menu when a link in it is followed (phones).
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest("#bo-sidebar a.nav-link");
    if (!link || !window.bootstrap) return;
    var panel = window.bootstrap.Offcanvas.getInstance(document.getElementById("bo-sidebar"));
    if (panel) panel.hide();
  });

  function init(root) {
    drawCharts(root);
    (root || document).querySelectorAll("[data-kind-select]").forEach(syncKind);
    // open the collapsible form that has errors after a failed submission
    (root || document).querySelectorAll(".collapse[data-open='1']").forEach(function (el) {
      el.classList.add("show");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.body.addEventListener("htmx:afterSwap", function (ev) { init(ev.target); });
})();
