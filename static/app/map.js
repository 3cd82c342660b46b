/*
 * Mineral Atlas: how every map of the app behaves in the browser (served by the app, no CDN).
 *
 * MineralAtlas.init(map, params)      once per map: view, controls, offline basemap and its labels
 * MineralAtlas.register(group, info)  each drawn layer: its name, legend rows and attribution
 * MineralAtlas.update(map, params)    after the layers: layer control, legend, attribution, fit
 *
 * The view (centre, zoom) lives in the page that holds the map frames (the Streamlit page), so it is
 * kept when a map is rebuilt, across tabs, and in the page's URL as view=lat,lon,zoom (a link
 * restores it). A new analysis result is fitted once; the "fit" button fits it again.
 */
(function () {
  "use strict";

  function hostWindow() {
    try {
      if (window.parent && window.parent !== window && window.parent.document) { return window.parent; }
    } catch (e) { /* another origin: keep the view in this frame only */ }
    return window;
  }

  var HOST = hostWindow();

  function parseView(search) {
    var text = new URLSearchParams(search || "").get("view");
    if (!text) { return null; }
    var parts = text.split(",").map(Number);
    if (parts.length !== 3 || !parts.every(isFinite)) { return null; }
    if (Math.abs(parts[0]) > 85 || Math.abs(parts[1]) > 540 || parts[2] < 1 || parts[2] > 18) { return null; }
    return {lat: parts[0], lng: parts[1], zoom: parts[2]};
  }

  function formatView(v) {
    return v.lat.toFixed(4) + "," + v.lng.toFixed(4) + "," + (Math.round(v.zoom * 100) / 100);
  }

  // state shared by every map frame of the page: lives as long as the page
  var STATE = HOST.__mineralAtlas;
  if (!STATE) {
    STATE = HOST.__mineralAtlas = {
      view: null,
      link: parseView(HOST.location.search),
      fitted: {},
      firstUpdate: true,
      hooked: false,
      labels: null,
      basemapFailed: false
    };
  }

  function withView(url) {
    if (!STATE.view) { return url; }
    var u = new URL(url, HOST.location.href);
    u.searchParams.set("view", formatView(STATE.view));
    return u.pathname + u.search + u.hash;
  }

  // Streamlit writes the page's URL from its own parameters; keep the view in it
  function hookHistory() {
    if (STATE.hooked || HOST === window) { return; }
    STATE.hooked = true;
    var history = HOST.history;
    ["pushState", "replaceState"].forEach(function (name) {
      var original = history[name];
      history[name] = function (state, title, url) {
        if (url !== undefined && url !== null) { url = withView(String(url)); }
        return original.call(history, state, title, url);
      };
    });
  }

  function rememberView(map) {
    var c = map.getCenter();
    STATE.view = {lat: c.lat, lng: c.lng, zoom: map.getZoom()};
    try {
      HOST.history.replaceState(HOST.history.state, "", withView(HOST.location.href));
    } catch (e) { /* a sandbox without history: the view is still kept across maps */ }
  }

  function toBounds(b) { return L.latLngBounds(b[0], b[1]); }

  function fitTo(map, bounds) {
    map.fitBounds(toBounds(bounds), {padding: [24, 24], maxZoom: 11});
  }

  function control(position, className, build) {
    var c = L.control({position: position});
    c.onAdd = function () {
      var div = L.DomUtil.create("div", className);
      build(div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    return c;
  }

  function narrow(map) { return map.getSize().x < 600; }

  // ------------------------------------------------------------------ offline basemap and labels
  function labelLayer(map, group, data) {
    var layer = L.layerGroup([], {pane: "maLabels"}).addTo(group);
    var items = [];
    data.countries.forEach(function (c) { items.push({name: c[0], lon: c[1], lat: c[2], minZoom: c[3], cls: "ma-country"}); });
    data.cities.forEach(function (c) { items.push({name: c[0], lon: c[1], lat: c[2], minZoom: c[3], cls: "ma-city"}); });
    function draw() {
      layer.clearLayers();
      if (!map.hasLayer(group)) { return; }
      var zoom = map.getZoom(), view = map.getBounds().pad(0.1), placed = [];
      items.forEach(function (item) {
        if (item.minZoom > zoom) { return; }
        // the same place east or west of the antimeridian, whichever copy is in view
        var lon = item.lon, centre = map.getCenter().lng;
        while (lon - centre > 180) { lon -= 360; }
        while (centre - lon > 180) { lon += 360; }
        var ll = L.latLng(item.lat, lon);
        if (!view.contains(ll)) { return; }
        var p = map.latLngToLayerPoint(ll);
        var w = item.name.length * (item.cls === "ma-country" ? 7.5 : 6.5) + 8, h = 16;
        var box = [p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2];
        for (var i = 0; i < placed.length; i++) {
          var o = placed[i];
          if (box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]) { return; }
        }
        placed.push(box);
        var icon = L.divIcon({className: "ma-label " + item.cls, html: "<span></span>", iconSize: [0, 0]});
        var marker = L.marker(ll, {icon: icon, interactive: false, keyboard: false, pane: "maLabels"});
        marker.on("add", function () { marker.getElement().firstChild.textContent = item.name; });
        layer.addLayer(marker);
      });
    }
    map.on("moveend zoomend", draw);
    group.on("add", draw);
    draw();
  }

  function loadBasemap(map, group, params) {
    if (group._maLoaded) { return; }
    group._maLoaded = true;
    fetch(params.basemap_url).then(function (r) { return r.json(); }).then(function (data) {
      L.geoJSON(data, {
        style: function (f) { return f.properties._style; },
        interactive: false,
        pane: "maBasemap"
      }).addTo(group);
    });
    fetch(params.labels_url).then(function (r) { return r.json(); }).then(function (data) {
      labelLayer(map, group, data);
    });
  }

  function reportFallback() {
    STATE.basemapFailed = true;
    var S = window.Streamlit;
    var G = window.__GLOBAL_DATA__;
    if (S && S.setComponentValue) {
      // tell the app (the sidebar says so and offers the offline basemap from then on)
      S.setComponentValue(Object.assign({}, (G && G.previous_data) || {}, {basemap_fallback: true}));
    }
  }

  // ------------------------------------------------------------------ init
  function init(map, params) {
    hookHistory();
    var frame = window.__maFrame = {map: map, groups: [], attributions: [], fit: null, params: params};
    map.createPane("maBasemap").style.zIndex = 150;
    var labelsPane = map.createPane("maLabels");
    labelsPane.style.zIndex = 350;
    labelsPane.style.pointerEvents = "none";

    // the view: a link's view first, then the page's current view, then every default layer
    if (STATE.link && !STATE.linkUsed) {
      STATE.linkUsed = true;
      map.setView([STATE.link.lat, STATE.link.lng], STATE.link.zoom, {animate: false});
    } else if (STATE.view) {
      map.setView([STATE.view.lat, STATE.view.lng], STATE.view.zoom, {animate: false});
    } else if (params.home) {
      fitTo(map, params.home);
    }
    rememberView(map);
    map.on("moveend", function () { rememberView(map); });

    // one-line attribution, the whole list on a click
    var attribution = map.attributionControl && map.attributionControl.getContainer();
    if (attribution) {
      attribution.classList.add("ma-attribution");
      attribution.title = "Sources (click for the whole list)";
      L.DomEvent.on(attribution, "click", function (e) {
        if (e.target && e.target.tagName === "A") { return; }
        attribution.classList.toggle("ma-open");
      });
    }

    // a button that fits the result (or every shown feature) again
    control("topleft", "leaflet-bar ma-fit", function (div) {
      var a = L.DomUtil.create("a", "", div);
      a.href = "#";
      a.setAttribute("role", "button");
      a.innerHTML = "&#x2922;";
      frame.fitButton = a;
      a.style.display = "none";
      L.DomEvent.on(a, "click", function (e) {
        L.DomEvent.preventDefault(e);
        if (frame.fit) { fitTo(map, frame.fit.bounds); }
      });
    }).addTo(map);

    // the legend: only what is drawn, collapsed on a narrow map
    control("bottomleft", "ma-legend", function (div) {
      var details = L.DomUtil.create("details", "", div);
      details.open = !narrow(map);
      var summary = L.DomUtil.create("summary", "", details);
      summary.textContent = "Legend";
      frame.legendBody = L.DomUtil.create("div", "ma-legend-body", details);
      frame.legend = div;
    }).addTo(map);
    map.on("overlayadd overlayremove", function () { drawLegend(frame); });

    // both basemaps start hidden: update() shows the one the page asks for
    var osm = params.osm && window[params.osm], offline = params.offline && window[params.offline];
    frame.bases = {};
    frame.offlineName = params.offline_name;
    frame.osmName = params.osm_name;
    if (osm) { frame.bases[params.osm_name] = osm; }
    if (offline) {
      frame.bases[params.offline_name] = offline;
      offline.on("add", function () { loadBasemap(map, offline, params); });
      if (map.hasLayer(offline)) { loadBasemap(map, offline, params); }
    }
    if (osm && offline) {
      osm.once("tileerror", function () {
        if (map.hasLayer(osm)) {
          map.removeLayer(osm);
          map.addLayer(offline);
          frame.basemap = params.offline_name;
          reportFallback();
        }
      });
    }
  }

  // show the basemap the page asks for (the offline one once tiles failed on this page); only when
  // that changes, so a basemap picked in the layer control stays until the page picks another
  function showBasemap(map, frame, wanted) {
    if (!wanted || !frame.bases[wanted]) { return; }
    if (STATE.basemapFailed && wanted === frame.osmName) { wanted = frame.offlineName; }
    if (frame.basemap === wanted) { return; }
    frame.basemap = wanted;
    Object.keys(frame.bases).forEach(function (name) {
      var layer = frame.bases[name];
      if (name === wanted && !map.hasLayer(layer)) { map.addLayer(layer); }
      if (name !== wanted && map.hasLayer(layer)) { map.removeLayer(layer); }
    });
  }

  // ------------------------------------------------------------------ layers of this map
  function register(group, info) {
    group._ma = info;
    (window.__maPending = window.__maPending || []).push(group);
  }

  function drawLegend(frame) {
    if (!frame.legendBody) { return; }
    var html = frame.groups.filter(function (g) { return frame.map.hasLayer(g) && g._ma.legend; })
      .map(function (g) { return g._ma.legend; }).join("");
    frame.legendBody.innerHTML = html;  // escaped in Python (layers._controls.legend_html)
    frame.legend.style.display = html ? "" : "none";
  }

  function update(map, params) {
    var frame = window.__maFrame;
    if (!frame) { return; }
    frame.groups = window.__maPending || [];
    window.__maPending = [];
    showBasemap(map, frame, params.basemap);
    if (window.layer_control) { map.removeControl(window.layer_control); }
    var overlays = {};
    frame.groups.forEach(function (g) { if (g._ma.control !== false) { overlays[g._ma.name] = g; } });
    var layers = L.control.layers(frame.bases, overlays, {collapsed: true, position: "topright"});
    layers.addTo(map);
    window.layer_control = layers;  // streamlit-folium removes it before the next layers arrive
    var container = layers.getContainer();
    container.setAttribute("aria-label", "Layers");
    container.querySelector(".leaflet-control-layers-toggle").title = "Layers and basemap";

    if (map.attributionControl) {
      frame.attributions.forEach(function (a) { map.attributionControl.removeAttribution(a); });
      frame.attributions = params.attribution || [];
      frame.attributions.forEach(function (a) { map.attributionControl.addAttribution(a); });
    }
    drawLegend(frame);

    frame.fit = params.fit || null;
    if (frame.fitButton) {
      frame.fitButton.style.display = frame.fit ? "" : "none";
      frame.fitButton.title = frame.fit ? frame.fit.label : "";
      frame.fitButton.setAttribute("aria-label", frame.fit ? frame.fit.label : "");
    }
    var first = STATE.firstUpdate;
    STATE.firstUpdate = false;
    if (frame.fit && frame.fit.auto && !STATE.fitted[frame.fit.token]) {
      STATE.fitted[frame.fit.token] = true;
      // a link's own view wins over fitting the result it shows
      if (!(first && STATE.link)) { fitTo(map, frame.fit.bounds); }
    }
  }

  window.MineralAtlas = {init: init, register: register, update: update, parseView: parseView};
})();
