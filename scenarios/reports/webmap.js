/* yingji: the reports' interactive map (Leaflet 1.9.4, inlined). The data comes from the
   JSON block #yingji-map-data (scenarios/reports/webmap.py). Popups are built from DOM text
   nodes, never from HTML strings, so names from district and scenario files stay text.
   Two modes: a run over a time slider (run, compare and drill reports; the drill's slider reads
   in exercise time T+HH:MM), and "areas" (batch and sizing reports): townships coloured by the
   share of runs in which all their affected people were relieved in time, no slider. */
(function () {
  "use strict";
  var box = document.getElementById("yingji-map");
  var src = document.getElementById("yingji-map-data");
  if (!box || !src || typeof L === "undefined") { return; }
  /* one run (the run report) or several to choose from (the compare report: {runs: [...]}) */
  var P = JSON.parse(src.textContent);
  var SETS = P.runs || [P];
  var zh = P.lang === "zh";
  var T = zh ? {
    roads: "道路", facilities: "预案设施", routes: "物资配送路线", groups: "人员组（按救助时间着色）",
    base: "救援队驻地", warehouse: "物资储备库", shelter: "避难场所", shelterNew: "避难场所（新增）",
    people: "人数", township: "乡镇街道", threat: "受威胁时间", affected: "受灾时间", reliefDone: "获救助完成",
    reliefTime: "救助用时", relieved: "已获救助", state: "当前状态", trips: "配送车次", capacity: "容量",
    peak: "安置峰值", reserved: "已分配", teams: "队伍", jobs: "任务数", util: "平均利用率", stock: "储备",
    loads: "装车次数", area: "面积", time: "时间", never: "无", source: "源",
    within: "目标时限内获救助", late: "超过目标时限获救助", neverC: "模拟结束时仍未获救助",
    waiting: "受灾，等待救助", threatened: "仅受威胁（未受灾）", h: " 小时",
    level: "等级", ppm: "阈值 (ppm)", extent: "下风向距离 (m)", chemical: "化学品",
    intoRun: function (h) { return "模拟第 " + h + " 小时"; }, beforeStart: "（演练开始前）",
    areas: "乡镇街道（按时全部获救助的运行比例）", runsAffected: "受灾的运行次数", runsRelieved: "全部按时获救助的运行次数",
    share: "按时全部获救助比例", causeAt: "时限时滞留原因（各运行合计，人）", waitingMed: "时限时等待人数（中位数）",
    waitingMax: "时限时等待人数（最多）", notAffected: "所有运行中均未受灾", noFigures: "无分乡镇数据",
    newSite: "新增设施", addedTo: "已有设施（有新增）", added: "新增", existingSite: "现有", trucks: "车辆"
  } : {
    roads: "roads", facilities: "plan facilities", routes: "supply routes", groups: "groups (by relief time)",
    base: "team base", warehouse: "relief warehouse", shelter: "shelter", shelterNew: "shelter (new)",
    people: "people", township: "township", threat: "threatened at", affected: "affected at", reliefDone: "relieved by",
    reliefTime: "time to relief", relieved: "relieved", state: "state now", trips: "truck trips", capacity: "capacity",
    peak: "peak occupancy", reserved: "places taken", teams: "teams", jobs: "jobs", util: "mean utilisation", stock: "stock",
    loads: "truck loads", area: "area", time: "time", never: "never", source: "source",
    within: "relieved within the target", late: "relieved after the target", neverC: "not relieved by the end",
    waiting: "affected, waiting for relief", threatened: "threatened only (not affected)", h: " h",
    level: "level", ppm: "threshold (ppm)", extent: "downwind extent (m)", chemical: "chemical",
    intoRun: function (h) { return h + " h into the run"; }, beforeStart: " (before the start)",
    areas: "townships (share of runs all relieved in time)", runsAffected: "runs affected", runsRelieved: "runs all relieved in time",
    share: "share all relieved in time", causeAt: "held at the deadline by (people, summed over runs)",
    waitingMed: "waiting at the deadline (median)", waitingMax: "waiting at the deadline (most)",
    notAffected: "not affected in any run", noFigures: "no figures by township",
    newSite: "new site", addedTo: "existing site, added to", added: "added", existingSite: "existing", trucks: "trucks"
  };
  /* Lines and polygons come packed (webmap.py, _pack_line): integers in 1/P.scale degrees, each
     point a step from the one before; unpacked here into GeoJSON coordinates. */
  var DEPTH = { LineString: 0, MultiLineString: 1, Polygon: 1, MultiPolygon: 2 };
  function unpackLine(q) {
    var out = [], x = 0, y = 0;
    for (var i = 0; i < q.length; i += 2) { x += q[i]; y += q[i + 1]; out.push([x / P.scale, y / P.scale]); }
    return out;
  }
  function nest(c, depth) { return depth === 0 ? unpackLine(c) : c.map(function (x) { return nest(x, depth - 1); }); }
  function fc(features) {
    return { type: "FeatureCollection", features: features.map(function (f) {
      var g = f.geometry;
      if (!g.packed) { return f; }
      return { type: "Feature", properties: f.properties, geometry: { type: g.type, coordinates: nest(g.packed, DEPTH[g.type]) } };
    }) };
  }
  function label(p) { return zh ? p.label_zh : p.label_en; }
  /* A slider time: the exercise clock's T+HH:MM (T-HH:MM before its start, as the handbook's fmt_t
     writes it) when the data has one, else hours into the run. */
  function clockLabel(h, clock) {
    if (!clock) { return T.intoRun(Math.round(h * 100) / 100); }
    var m = Math.floor((h - clock.start_h) * 60 + 0.5), sign = m < 0 ? "-" : "+";
    m = Math.abs(m);
    var hh = Math.floor(m / 60), mm = m % 60;
    return "T" + sign + (hh < 10 ? "0" : "") + hh + ":" + (mm < 10 ? "0" : "") + mm + (m > 0 && sign === "-" ? T.beforeStart : "");
  }
  function hours(v) { return v === null || v === undefined ? T.never : (Math.round(v * 10) / 10) + T.h; }

  /* A popup: a title and rows of [key, value], all as text nodes. */
  function popup(title, rows) {
    var div = document.createElement("div");
    div.className = "ym-popup";
    var b = document.createElement("strong");
    b.textContent = title;
    div.appendChild(b);
    var table = document.createElement("table");
    rows.forEach(function (r) {
      var tr = table.insertRow();
      tr.insertCell().textContent = r[0];
      tr.insertCell().textContent = String(r[1]);
    });
    div.appendChild(table);
    return div;
  }

  /* The legend box (bottom left) and one swatch row in it. */
  function legendControl(map) {
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () { var d = L.DomUtil.create("div", "ym-legend"); L.DomEvent.disableClickPropagation(d); return d; };
    legend.addTo(map);
    return legend;
  }
  function swatch(parent, colour, text, round, ring) {
    var row = document.createElement("div");
    var s = document.createElement("span");
    s.className = "ym-swatch" + (round ? " ym-round" : "");
    s.style.background = colour;
    if (ring) { s.style.border = "2px solid " + ring; }
    row.appendChild(s);
    row.appendChild(document.createTextNode(text));
    parent.appendChild(row);
  }
  function roadLayer(map, roads) {
    return L.geoJSON(fc(roads), {
      interactive: false, pane: "ym-roads",
      style: function (f) { return { color: f.properties.colour, weight: f.properties.weight, opacity: 0.9, className: "ym-road" }; }
    }).addTo(map);
  }
  /* A fresh map over the data's bounds with a scale bar and its panes ([name, z-index]). */
  function baseMap(D, panes) {
    var map = L.map(box, { preferCanvas: false, zoomSnap: 0.25, attributionControl: false });
    map.fitBounds(D.bounds);
    L.control.scale({ imperial: false }).addTo(map);
    panes.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
    return map;
  }
  var KIND = { base: ["#2c3e50", T.base], warehouse: ["#8e44ad", T.warehouse], shelter: ["#2874a6", T.shelter] };
  var RING = { fresh: "#c0392b", added: "#f39c12" };

  /* The batch and sizing maps: townships by share, the plan's facilities (new ones and those
     added to ringed), the roads; no slider. */
  function drawAreas(D) {
    var map = baseMap(D, [["ym-areas", 250], ["ym-roads", 300], ["ym-facilities", 450]]);
    var overlays = {};
    var towns = D.townships, bands = D.legend.bands, grey = D.legend.not_affected;
    var areas = L.geoJSON(fc(D.areas), {
      pane: "ym-areas",
      style: function (f) {
        var t = towns ? towns[String(f.properties.zone)] : null;
        var colour = !towns ? "#eaecee" : (t && t.band >= 0 ? bands[t.band][0] : grey[0]);
        return { color: "#566573", weight: 1.2, fillColor: colour, fillOpacity: 0.55,
                 className: "ym-area ym-area-" + (!towns ? "none" : (t && t.band >= 0 ? "band" + t.band : "unaffected")) };
      },
      onEachFeature: function (f, l) {
        var p = f.properties, t = towns ? towns[String(p.zone)] : null, rows = [];
        if (!towns) { rows.push([T.share, T.noFigures]); }
        else if (!t || !t.runs_affected) { rows.push([T.share, T.notAffected]); }
        else {
          rows.push([T.runsAffected, t.runs_affected], [T.runsRelieved, t.runs_all_relieved],
                    [T.share, Math.round(t.share * 1000) / 10 + " %"]);
          t.causes.forEach(function (c) { rows.push([T.causeAt + ": " + (zh ? c[1] : c[2]), c[3]]); });
          rows.push([T.waitingMed, t.waiting_median], [T.waitingMax, t.waiting_max]);
        }
        l.bindPopup(popup(zh ? p.name_zh : p.name_en, rows));
      }
    }).addTo(map);
    overlays[T.areas] = areas;
    overlays[T.roads] = roadLayer(map, D.roads);
    function facilityRows(p) {
      var rows = [[T.state, p.new === null ? "—" : (p.new ? T.newSite : T.existingSite)]];
      if (p.kind === "base") {
        rows.push([T.teams, p.teams.map(function (t) { return (zh ? t[0] : t[1]) + " " + t[2]; }).join(", ")]);
      } else if (p.kind === "warehouse") {
        rows.push([T.stock, p.stock.map(function (s) { return (zh ? s[0] : s[1]) + " " + s[2]; }).join(", ")]);
        if (p.trucks !== null && p.trucks !== undefined) { rows.push([T.trucks, p.trucks]); }
      } else {
        rows.push([T.capacity, p.capacity]);
      }
      p.added.forEach(function (a) { rows.push([T.added + " · " + a[0], "+" + a[1] + " " + a[2]]); });
      return rows;
    }
    if (D.facilities.length) {
      overlays[T.facilities] = L.geoJSON(fc(D.facilities), {
        pointToLayer: function (f, ll) {
          var p = f.properties, ring = p.new ? RING.fresh : (p.added.length ? RING.added : "#ffffff");
          var cls = "ym-facility ym-" + p.kind + (p.new ? " ym-new" : "") + (p.added.length ? " ym-added" : "");
          return L.circleMarker(ll, { pane: "ym-facilities", radius: (p.kind === "shelter" ? 6 : 8) + (ring === "#ffffff" ? 0 : 2),
                                      color: ring, weight: ring === "#ffffff" ? 2 : 3.5, fillColor: KIND[p.kind][0], fillOpacity: 1,
                                      className: cls });
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup(popup((zh ? p.name_zh : p.name_en) + " · " + KIND[p.kind][1], facilityRows(p)));
        }
      }).addTo(map);
    }
    var legend = legendControl(map);
    var d = legend.getContainer();
    if (towns) {
      bands.forEach(function (b) { swatch(d, b[0], zh ? b[1] : b[2], false); });
      swatch(d, grey[0], zh ? grey[1] : grey[2], false);
    }
    if (D.facilities.length) {
      swatch(d, KIND.base[0], T.base, true);
      swatch(d, KIND.warehouse[0], T.warehouse, true);
      swatch(d, KIND.shelter[0], T.shelter, true);
      if (D.facilities.some(function (f) { return f.properties.new; })) { swatch(d, "#ffffff", T.newSite, true, RING.fresh); }
      if (D.facilities.some(function (f) { return !f.properties.new && f.properties.added.length; })) {
        swatch(d, "#ffffff", T.addedTo, true, RING.added);
      }
    }
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    return { map: map, show: function () {} };
  }

  /* Everything of one run on a fresh map; returns the map and the slider's handler. */
  function draw(D) {
    /* Panes fix the drawing order, whatever is redrawn when the slider moves: roads, hazards,
       routes (Leaflet's overlay pane, 400), groups, facilities. */
    var map = baseMap(D, [["ym-roads", 300], ["ym-hazards", 350], ["ym-groups", 420], ["ym-facilities", 450]]);
    var overlays = {};

    overlays[T.roads] = roadLayer(map, D.roads);

    /* Hazards: each a layer group whose frame follows the slider (a flood's arrival stays fixed). */
    var hazards = D.hazards.map(function (h) {
      var group = L.layerGroup();
      var layer = { h: h, group: group, shown: -1 };
      if (h.at_stop !== null) { group.addTo(map); }  /* a flood's arrival time: on request, it hides the depth */
      overlays[label(h)] = group;
      return layer;
    });
    function hazardFeature(f, layer) {
      var p = f.properties, rows = [];
      if (p.area_km2 !== undefined) { rows.push([T.area, p.area_km2 + " km²"]); }
      if (p.area_ha !== undefined) { rows.push([T.area, p.area_ha + " ha"]); }
      [["level", T.level], ["threshold_ppm", T.ppm], ["extent_m", T.extent], [zh ? "chemical_zh" : "chemical", T.chemical],
       ["time_h", T.time]].forEach(function (k) {
        if (p[k[0]] !== undefined && p[k[0]] !== null) { rows.push([k[1], p[k[0]]]); }
      });
      layer.bindPopup(popup(label(p) + " · " + (zh ? p.hazard_zh : p.hazard_en), rows));
    }
    function showHazard(layer, stop) {
      var h = layer.h;
      var frame = h.at_stop === null ? 0 : h.at_stop[stop];
      if (frame === layer.shown) { return; }
      layer.group.clearLayers();
      L.geoJSON(fc(h.frames[frame]), {
        pane: "ym-hazards",
        style: function (f) {
          return { color: f.properties.colour, fillColor: f.properties.colour, weight: 1, fillOpacity: 0.55,
                   className: "ym-hazard ym-hazard-" + h.kind };
        },
        onEachFeature: hazardFeature
      }).addTo(layer.group);
      if (h.source) {
        L.circleMarker([h.source.geometry.coordinates[1], h.source.geometry.coordinates[0]], {
          pane: "ym-facilities", radius: 7, color: "#ffffff", weight: 2, fillColor: "#7b241c", fillOpacity: 1, className: "ym-source"
        }).bindPopup(popup(label(h.source.properties), [])).addTo(layer.group);
      }
      layer.shown = frame;
    }

    var routes = L.geoJSON(fc(D.routes), {
      style: function (f) { return { color: "#8e44ad", weight: 1.5 + Math.log(1 + f.properties.trips), opacity: 0.8, className: "ym-route" }; },
      onEachFeature: function (f, l) { l.bindPopup(popup(T.routes, [[T.trips, f.properties.trips]])); }
    });
    if (D.routes.length) { routes.addTo(map); overlays[T.routes] = routes; }

    function facilityRows(p) {
      if (p.kind === "base") {
        return [[T.teams, p.teams.map(function (t) { return (zh ? t[0] : t[1]) + " " + t[2]; }).join(", ")],
                [T.jobs, p.jobs], [T.util, p.utilisation === null ? "—" : Math.round(p.utilisation * 100) + " %"]];
      }
      if (p.kind === "warehouse") {
        return [[T.stock, p.stock.map(function (s) { return (zh ? s[0] : s[1]) + " " + s[2]; }).join(", ")],
                [T.loads, p.truck_loads]];
      }
      return [[T.capacity, p.capacity], [T.peak, p.peak], [T.reserved, p.reserved]];
    }
    var facilities = L.geoJSON(fc(D.facilities), {
      pointToLayer: function (f, ll) {
        var p = f.properties, k = KIND[p.kind];
        var fill = p.kind === "shelter" && !p.existing ? "#48c9b0" : k[0];
        return L.circleMarker(ll, { pane: "ym-facilities", radius: p.kind === "shelter" ? 6 : 8, color: "#ffffff", weight: 2, fillColor: fill,
                                    fillOpacity: 1, className: "ym-facility ym-" + p.kind });
      },
      onEachFeature: function (f, l) {
        var p = f.properties, k = p.kind === "shelter" && !p.existing ? T.shelterNew : KIND[p.kind][1];
        l.bindPopup(popup((zh ? p.name_zh : p.name_en) + " · " + k, facilityRows(p)));
      }
    }).addTo(map);
    overlays[T.facilities] = facilities;

    /* Groups: one circle each, coloured by its state at the slider's time (at the end: by relief time). */
    var C = {};
    D.group_columns.forEach(function (name, i) { C[name] = i; });
    var end = D.end_h === undefined ? D.stops_h[D.stops_h.length - 1] : D.end_h;  /* the run's end: "never" after it */
    function groupState(g, t) {
      var appear = g[C.threat_h] === null ? g[C.affected_h] : g[C.threat_h];
      if (appear === null || t < appear) { return null; }
      if (g[C.affected_h] === null || t < g[C.affected_h]) { return "threatened"; }
      if (g[C.relief_time_h] !== null && t >= g[C.relieved_h]) { return g[C.relief_time_h] <= D.target_h ? "within" : "late"; }
      return t >= end ? "never" : "waiting";  /* the same rule as webmap.py's relief_class at the end */
    }
    var STATE = { within: T.within, late: T.late, never: T.neverC, waiting: T.waiting, threatened: T.threatened };
    var groupLayer = L.layerGroup().addTo(map);
    overlays[T.groups] = groupLayer;
    var now = end;
    var markers = D.groups.map(function (g) {
      var m = L.circleMarker([g[C.lat], g[C.lon]], {
        pane: "ym-groups",
        radius: Math.min(3 + Math.sqrt(g[C.people]) / 3, 12), weight: 1, color: "#ffffff", fillOpacity: 0.9,
        className: "ym-group"
      });
      m.bindPopup(function () {
        var town = g[C.township] >= 0 ? D.townships[g[C.township]][zh ? 0 : 1] : "—";
        return popup(town, [[T.people, g[C.people]], [T.threat, hours(g[C.threat_h])], [T.affected, hours(g[C.affected_h])],
                            [T.relieved, g[C.relieved] + " / " + g[C.people]], [T.reliefDone, hours(g[C.relieved_h])],
                            [T.reliefTime, hours(g[C.relief_time_h])], [T.state + " (" + clockLabel(now, D.clock) + ")", STATE[groupState(g, now)] || "—"]]);
      });
      return { g: g, m: m, state: undefined };
    });
    function showGroups(t) {
      markers.forEach(function (x) {
        var s = groupState(x.g, t);
        if (s === x.state) { return; }
        if (s === null) { groupLayer.removeLayer(x.m); } else {
          x.m.setStyle({ fillColor: D.group_colours[s] });
          if (x.state === null || x.state === undefined) { groupLayer.addLayer(x.m); }
        }
        x.state = s;
      });
    }

    /* The legend: hazard bands of the frame shown, facility kinds and group states. */
    var legend = legendControl(map);
    function drawLegend(stop) {
      var d = legend.getContainer();
      d.textContent = "";
      var seen = {};
      hazards.forEach(function (layer) {
        if (!map.hasLayer(layer.group)) { return; }  /* only what is on the map */
        var h = layer.h, frame = h.frames[h.at_stop === null ? 0 : h.at_stop[stop]];
        frame.forEach(function (f) {
          var key = label(f.properties);
          if (!seen[key]) { seen[key] = 1; swatch(d, f.properties.colour, key, false); }
        });
      });
      swatch(d, KIND.base[0], T.base, true);
      swatch(d, KIND.warehouse[0], T.warehouse, true);
      swatch(d, KIND.shelter[0], T.shelter, true);
      swatch(d, "#48c9b0", T.shelterNew, true);
      ["within", "late", "waiting", "never", "threatened"].forEach(function (s) { swatch(d, D.group_colours[s], STATE[s], true); });
    }

    L.control.layers(null, overlays, { collapsed: false }).addTo(map);

    function show(stop) {
      now = D.stops_h[stop];
      hazards.forEach(function (layer) { showHazard(layer, stop); });
      showGroups(now);
      drawLegend(stop);
      if (out) { out.textContent = clockLabel(now, D.clock); }
      box.setAttribute("data-time-h", String(now));
    }
    map.on("overlayadd overlayremove", function () { drawLegend(Number(slider ? slider.value : D.stops_h.length - 1)); });
    return { map: map, show: show };
  }

  var slider = document.getElementById("yingji-map-time");
  var out = document.getElementById("yingji-map-time-label");
  var pick = document.getElementById("yingji-map-run");
  var current = null;
  function choose(i) {
    if (P.mode === "areas") {
      if (current) { current.map.remove(); }
      current = drawAreas(Object.assign({}, P, SETS[i]));
      box.setAttribute("data-run", String(i));
      return;
    }
    var D = Object.assign({}, SETS[i]);
    if (D.roads === null) { D.roads = SETS[0].roads; }      /* the same district: sent once */
    if (D.hazards === null) { D.hazards = SETS[0].hazards; }  /* the same hazard: sent once */
    if (current) { current.map.remove(); }
    current = draw(D);
    var last = D.stops_h.length - 1;
    if (slider) { slider.max = String(last); slider.value = String(last); }
    current.show(last);
    box.setAttribute("data-run", String(i));
  }
  if (slider) { slider.addEventListener("input", function () { current.show(Number(slider.value)); }); }
  if (pick) { pick.addEventListener("change", function () { choose(Number(pick.value)); }); }
  choose(0);
  box.setAttribute("data-ready", "1");
})();
