// forcestat dashboard: draws each chart from the Vega-Lite spec embedded beside it as JSON,
// and lets the quick-period menu fill the period box. Pages work without this file.
(function () {
  "use strict";
  function draw() {
    if (typeof vegaEmbed !== "function") return;
    document.querySelectorAll("div.vega[data-spec]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-spec"));
      if (!src) return;
      var spec;
      try { spec = JSON.parse(src.textContent); } catch (e) { return; }
      // ast + the expression interpreter: no eval, so the page's CSP needs no 'unsafe-eval'
      vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true }).then(function (res) {
        var svg = el.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", el.getAttribute("aria-label") || spec.description || "chart");
        }
        el.removeAttribute("role");
        return res;
      }).catch(function (err) { el.textContent = "Chart unavailable: " + err.message; });
    });
  }
  function quickPeriods() {
    document.querySelectorAll("select.quick-period").forEach(function (sel) {
      sel.addEventListener("change", function () {
        var target = document.getElementById(sel.getAttribute("data-target"));
        if (target && sel.value) {
          target.value = sel.value;
          if (target.form) target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { quickPeriods(); draw(); });
})();
