/* The pasante's restock request form (pharmacy/templates/pharmacy/request_form.html).
 *
 * 1. Computes each line as the person types, exactly as pharmacy/calculations.py does: the adjusted
 *    consumption consumed * days / (days - stock-out days) kept as a fraction, the AMC the mean of the
 *    last up-to-3 usable months rounded once, up (1/3 -> 1: a slow mover is still suggested stock);
 *    maximum = AMC x max months; suggested = max(0, maximum - stock on hand). The server recomputes when
 *    the form is saved (docs/decisions/0010-restock-arithmetic-and-openlmis.md).
 * 2. Keeps what is typed in localStorage, so a lost connection or a reload loses nothing, and offers it
 *    back when the page shows something else. An entry is dropped once the server has it: when the page
 *    is a later version of the request (data-version), or its client key is among those the server has
 *    saved (data-saved-keys), or after 60 days.
 * No inline script (CSP script-src 'self'); every text shown is in the template, translated.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-testid=restock-form]");
  if (!form) { return; }

  var DAYS = parseInt(form.getAttribute("data-days"), 10);
  var AMC_PERIODS = 3;
  var PREFIX = "ces-restock:";
  var MAX_AGE_MS = 60 * 24 * 3600 * 1000;
  var NOT_KEPT = { csrfmiddlewaretoken: true, client_key: true, item: true, action: true };

  // --- Exact arithmetic on fractions [numerator, denominator] of non-negative integers ----------------

  function gcd(a, b) {
    while (b) { var t = a % b; a = b; b = t; }
    return a;
  }

  function fraction(n, d) {
    var g = gcd(n, d) || 1;
    return [n / g, d / g];
  }

  function add(a, b) {
    return fraction(a[0] * b[1] + b[0] * a[1], a[1] * b[1]);
  }

  function floorDiv(x, y) {  // integers, y > 0; the float quotient corrected to the exact floor
    var q = Math.floor(x / y);
    if (q * y > x) { q -= 1; }
    if ((q + 1) * y <= x) { q += 1; }
    return q;
  }

  function roundUp(f) {  // n/d >= 0 to a whole number, any fraction up: floor((n + d - 1) / d)
    return floorDiv(f[0] + f[1] - 1, f[1]);
  }

  function adjustedConsumption(consumed, days, stockoutDays) {
    if (stockoutDays === days) { return null; }  // out of stock all month: says nothing about demand
    return fraction(consumed * days, days - stockoutDays);
  }

  function averageMonthlyConsumption(adjusted) {
    var usable = adjusted.filter(function (v) { return v !== null; }).slice(-AMC_PERIODS);
    if (!usable.length) { return 0; }
    var sum = usable.reduce(add, [0, 1]);
    return roundUp(fraction(sum[0], sum[1] * usable.length));
  }

  function parsePast(text) {
    return (text || "").split(" ").filter(Boolean).map(function (part) {
      if (part === "x") { return null; }
      var nd = part.split("/");
      return [parseInt(nd[0], 10), parseInt(nd[1], 10)];
    });
  }

  // --- One line --------------------------------------------------------------------------------------

  // A box's whole number: blank is 0 (or null with blankIsNull), anything else not a whole number NaN.
  function whole(input, signed, blankIsNull) {
    var text = (input.value || "").trim();
    if (text === "") { return blankIsNull ? null : 0; }
    // What Django's IntegerField accepts: an optional sign, digits, and a ".0" it ignores.
    if (!/^[-+]?\d+(\.0*)?$/.test(text)) { return NaN; }
    var value = parseInt(text, 10);
    return signed || value >= 0 ? value : NaN;
  }

  function show(el, visible) {
    if (el) { el.hidden = !visible; }
  }

  function Line(section) {
    this.section = section;
    this.id = section.getAttribute("data-item-id");
    this.past = parsePast(section.getAttribute("data-past"));
    this.maxMonths = parseInt(section.getAttribute("data-max-months"), 10);
  }

  Line.prototype.input = function (name) {
    return this.section.querySelector("[name='" + name + "-" + this.id + "']");
  };

  Line.prototype.out = function (name, value) {
    var el = this.section.querySelector("[data-out=" + name + "]");
    if (el) { el.textContent = value; }
  };

  Line.prototype.part = function (name) {
    return this.section.querySelector("[data-show=" + name + "]");
  };

  // A text box stays in view when it holds text or a message, even when not needed any more.
  Line.prototype.toggle = function (name, needed, boxName) {
    var part = this.part(name);
    var box = this.input(boxName);
    var keep = (box && box.value.trim() !== "") || (part && part.classList.contains("has-error"));
    show(part, needed || keep);
  };

  Line.prototype.compute = function () {
    var begin = whole(this.input("beginning_balance"));
    var received = whole(this.input("received"));
    var consumed = whole(this.input("consumed"));
    var losses = whole(this.input("losses_adjustments"), true);
    var onHand = whole(this.input("stock_on_hand"));
    var stockout = whole(this.input("stockout_days"));
    var requested = whole(this.input("requested"), false, true);
    var onHandTyped = this.input("stock_on_hand").value.trim() !== "";

    this.toggle("reason", losses !== 0 && !isNaN(losses), "adjustment_reason");

    var expected = begin + received - consumed + losses;
    var mismatch = onHandTyped && !isNaN(expected) && !isNaN(onHand) && expected !== onHand;
    this.out("expected", isNaN(expected) ? "" : String(expected));
    show(this.part("mismatch"), mismatch);

    var valid = [consumed, onHand, stockout].every(function (v) { return !isNaN(v) && v >= 0; }) &&
      stockout <= DAYS;
    var requestBox = this.input("requested");
    if (!valid) {
      this.out("amc", "—");
      this.out("maximum", "—");
      this.out("suggested", "—");
      this.toggle("explain", false, "explanation");
      return;
    }
    var amc = averageMonthlyConsumption(this.past.concat([adjustedConsumption(consumed, DAYS, stockout)]));
    var maximum = amc * this.maxMonths;
    var suggested = Math.max(0, maximum - onHand);
    this.out("amc", String(amc));
    this.out("maximum", String(maximum));
    this.out("suggested", String(suggested));
    requestBox.placeholder = String(suggested);
    var differs = requested !== null && !isNaN(requested) && requested !== suggested;
    this.toggle("explain", differs, "explanation");
  };

  var lines = Array.prototype.map.call(form.querySelectorAll("[data-testid=line]"), function (section) {
    return new Line(section);
  });
  var byId = {};
  lines.forEach(function (line) { byId[line.id] = line; line.compute(); });

  function lineOf(el) {
    var section = el.closest("[data-testid=line]");
    return section ? byId[section.getAttribute("data-item-id")] : null;
  }

  // --- Kept on the phone --------------------------------------------------------------------------------

  var storageKey = form.getAttribute("data-storage-key");
  var version = form.getAttribute("data-version");
  var savedKeys = (form.getAttribute("data-saved-keys") || "").split(" ").filter(Boolean);
  var clientKeyBox = form.querySelector("[name=client_key]");
  var offer = document.querySelector("[data-testid=restore-offer]");
  var kept = form.querySelector("[data-kept]");

  function storage() {
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null;  // private browsing, storage full or disabled: the form works, nothing is kept
    }
  }

  var store = storage();

  function read(key) {
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  }

  function boxes() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !NOT_KEPT[el.name] && (el.tagName === "TEXTAREA" || el.type === "text");
    });
  }

  function values() {
    var found = {};
    boxes().forEach(function (el) { found[el.name] = el.value; });
    return found;
  }

  function sameAsPage(kept) {
    var now = values();
    return Object.keys(kept).every(function (name) { return !(name in now) || now[name] === kept[name]; });
  }

  function forgetSaved() {
    var now = Date.now();
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var key = store.key(i);
      if (!key || key.indexOf(PREFIX) !== 0) { continue; }
      var entry = read(key);
      var stale = !entry || now - (entry.savedAt || 0) > MAX_AGE_MS ||
        (entry.clientKey && savedKeys.indexOf(entry.clientKey) !== -1);
      if (stale) { store.removeItem(key); }
    }
  }

  var timer = null;
  function keep() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var entry = { version: version, savedAt: Date.now(), values: values(),
                    clientKey: clientKeyBox ? clientKeyBox.value : null };
      try {
        store.setItem(storageKey, JSON.stringify(entry));
        show(kept, true);
      } catch (e) {
        show(kept, false);
      }
    }, 300);
  }

  function restore(entry) {
    var named = {};
    boxes().forEach(function (el) { named[el.name] = el; });
    Object.keys(entry.values).forEach(function (name) {
      var el = named[name];
      if (!el || el.value === entry.values[name]) { return; }
      el.value = entry.values[name];
      var details = el.closest("details");
      if (details && entry.values[name] !== "") { details.open = true; }
    });
    // The same key: a form the server did receive, answer lost, is saved again as the same request.
    if (clientKeyBox && entry.clientKey) { clientKeyBox.value = entry.clientKey; }
    lines.forEach(function (line) { line.compute(); });
  }

  if (store && storageKey) {
    forgetSaved();
    var entry = read(storageKey);
    if (entry && (entry.version !== version || !entry.values)) {
      store.removeItem(storageKey);
    } else if (entry && !sameAsPage(entry.values) && offer) {
      show(offer, true);
      offer.querySelector("[data-restore]").addEventListener("click", function () {
        restore(entry);
        show(offer, false);
        show(kept, true);
      });
      offer.querySelector("[data-discard]").addEventListener("click", function () {
        store.removeItem(storageKey);
        show(offer, false);
      });
    }
  }

  form.addEventListener("input", function (event) {
    var line = lineOf(event.target);
    if (line) { line.compute(); }
    if (store && storageKey) { keep(); }
  });
}());
