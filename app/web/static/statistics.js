// The statistics page's charts (ECharts, served from /static/vendor): each chart reads its figures from its
// own data-chart attribute, the same numbers the table beside it shows.
(function () {
  "use strict";
  function draw(id, options) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return; }
    var data = JSON.parse(el.getAttribute("data-chart"));
    var chart = window.echarts.init(el, null, {renderer: "canvas"});
    chart.setOption(options(data));
    el.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    draw("chart-figures", function (d) {
      return {
        tooltip: {trigger: "axis"}, legend: {data: ["申报数", "通过数", "通过率(%)"]},
        xAxis: {type: "category", data: d.labels, axisLabel: {interval: 0, rotate: d.labels.length > 6 ? 30 : 0}},
        yAxis: [{type: "value", name: "人数", minInterval: 1}, {type: "value", name: "%", max: 100}],
        series: [{name: "申报数", type: "bar", data: d.declarations}, {name: "通过数", type: "bar", data: d.passed},
                 {name: "通过率(%)", type: "line", yAxisIndex: 1, data: d.rate}]
      };
    });
    draw("chart-nodes", function (d) {
      return {
        tooltip: {trigger: "axis"}, legend: {data: ["中位用时(天)", "最长用时(天)"]},
        xAxis: {type: "category", data: d.labels}, yAxis: {type: "value", name: "天"},
        series: [{name: "中位用时(天)", type: "bar", data: d.median}, {name: "最长用时(天)", type: "bar", data: d.slowest}]
      };
    });
    draw("chart-structure", function (d) {
      var names = {approved: "核定岗位", appointed: "已聘", vacant: "空缺", titled_not_appointed: "有职称未聘"};
      var keys = ["approved", "appointed", "vacant", "titled_not_appointed"];
      return {
        tooltip: {trigger: "axis"}, legend: {data: keys.map(function (k) { return names[k]; })},
        xAxis: {type: "category", data: d.labels, axisLabel: {interval: 0, rotate: d.labels.length > 6 ? 30 : 0}},
        yAxis: {type: "value", name: "岗位", minInterval: 1},
        series: keys.map(function (k) { return {name: names[k], type: "bar", data: d[k]}; })
      };
    });
  });
}());
