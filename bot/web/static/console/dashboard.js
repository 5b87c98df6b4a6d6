/* 办电助手坐席控制台 · 统计: draws the dashboard's charts with the vendored Chart.js (vendor/chart.umd.min.js,
   MIT) from /agent/api/dashboard (aggregated on the server). The tables under the charts work without it. */
(function () {
  "use strict";

  var PALETTE = ["#0b6e4f", "#1565c0", "#f79009", "#7a5af8", "#d92d20", "#0e9384", "#98a2b3"];
  var FONT = '-apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';

  function colour(index) { return PALETTE[index % PALETTE.length]; }
  function shortDay(day) { return day.slice(5); }  /* 2025-11-26 → 11-26 */

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return null; }
    config.options = Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
    }, config.options || {});
    var chart = new window.Chart(canvas, config);
    canvas.setAttribute("data-drawn", "1");
    return chart;
  }

  function stacked(extra) {
    return Object.assign({ x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }, extra || {});
  }

  function render(data) {
    var orders = data.orders;
    var days = orders.days.map(shortDay);
    draw("chart-orders-created", {
      type: "bar",
      data: { labels: days, datasets: orders.created.map(function (region, i) {
        return { label: region.name, data: region.counts, backgroundColor: colour(i) };
      }) },
      options: { scales: stacked() }
    });
    draw("chart-orders-stage", {
      type: "bar",
      data: { labels: orders.stages.map(function (s) { return s.name; }), datasets: orders.by_stage.map(function (region, i) {
        return { label: region.name, data: region.counts, backgroundColor: colour(i) };
      }) },
      options: { scales: stacked() }
    });

    var warnings = data.warnings;
    draw("chart-warnings", {
      type: "bar",
      data: { labels: warnings.managers.map(function (m) { return m.name; }), datasets: warnings.levels.map(function (level, i) {
        return { label: level.name, backgroundColor: level.colour,
                 data: warnings.managers.map(function (m) { return m.counts[i]; }) };
      }) },
      options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } }
    });

    var handoffs = data.handoffs;
    draw("chart-handoff-wait", {
      type: "bar",
      data: { labels: days, datasets: [
        { label: "转人工", data: handoffs.asked, backgroundColor: "#b2ddff", yAxisID: "count", order: 2 },
        { label: "已接入", data: handoffs.taken, backgroundColor: "#1565c0", yAxisID: "count", order: 2 },
        { label: "平均等待（分钟）", type: "line", data: handoffs.mean_minutes, borderColor: "#f79009",
          backgroundColor: "#f79009", spanGaps: true, yAxisID: "minutes", order: 1 },
        { label: "最长等待（分钟）", type: "line", data: handoffs.max_minutes, borderColor: "#d92d20",
          backgroundColor: "#d92d20", borderDash: [4, 3], spanGaps: true, yAxisID: "minutes", order: 1 }
      ] },
      options: { scales: {
        count: { position: "left", beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "个" } },
        minutes: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "分钟" } }
      } }
    });
    draw("chart-handoff-buckets", {
      type: "bar",
      data: { labels: handoffs.buckets.map(function (b) { return b.label; }),
              datasets: [{ label: "已接入的请求（按等待时间）", data: handoffs.buckets.map(function (b) { return b.count; }),
                           backgroundColor: "#0e9384" }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });

    var quality = data.quality;
    draw("chart-quality", {
      type: "line",
      data: { labels: days, datasets: [
        { label: "未答率 %", data: quality.fallback_rate, borderColor: "#7a5af8", backgroundColor: "#7a5af8", spanGaps: true },
        { label: "👎 率 %", data: quality.down_rate, borderColor: "#d92d20", backgroundColor: "#d92d20", spanGaps: true }
      ] },
      options: { scales: { y: { beginAtZero: true, suggestedMax: 20, ticks: { callback: function (v) { return v + "%"; } } } } }
    });

    var top = data.unanswered_top;
    draw("chart-unanswered", {
      type: "bar",
      data: { labels: top.map(function (q) { return q.question.length > 18 ? q.question.slice(0, 18) + "…" : q.question; }),
              datasets: [{ label: "次数", data: top.map(function (q) { return q.count; }), backgroundColor: "#f79009" }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } },
                 scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    document.body.setAttribute("data-charts", "ready");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("dashboard");
    if (!root || !window.Chart) { return; }
    window.Chart.defaults.font.family = FONT;
    window.Chart.defaults.color = "#475467";
    fetch(root.getAttribute("data-api"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401) { window.location.href = "/agent/login?next=/agent/dashboard"; throw new Error("login"); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(render)
      .catch(function () {
        var error = document.getElementById("dashboard-error");
        if (error) { error.hidden = false; }
      });
  });
})();
