/* The trainers' grids: keyboard moves, checks before saving, and conflict/refusal answers.
 * htmx does the saving (hx-post on each cell); this file only adds what htmx attributes
 * cannot say without eval. No inline scripts: loaded with defer by the grid templates. */
(function () {
  "use strict";

  var ARROWS = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };

  function grid(el) { return el && el.closest ? el.closest("table[data-grid]") : null; }

  /* --- attendance: arrows move between the cells' buttons -------------------------------- */

  function cellButton(table, rowIndex, colIndex) {
    var row = table.rows[rowIndex];
    var cell = row && row.cells[colIndex];
    return cell ? cell.querySelector("button.att-cell:not([disabled])") : null;
  }

  document.addEventListener("keydown", function (event) {
    var button = event.target;
    if (!button.classList || !button.classList.contains("att-cell")) return;
    var move = ARROWS[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var table = grid(button);
    var td = button.closest("td");
    var r = td.parentElement.rowIndex + move[0];
    var c = td.cellIndex + move[1];
    var next = cellButton(table, r, c);
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  // "All" under a day: send the participants this page shows absent on that day, and only them,
  // so that a mark someone else removed meanwhile from a cell shown present is not put back.
  document.addEventListener("htmx:configRequest", function (event) {
    var button = event.detail.elt;
    if (!button.classList || !button.classList.contains("att-all")) return;
    var table = grid(button);
    var column = button.closest("td").cellIndex;
    var absent = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var cell = row.cells[column];
      var toggle = cell && cell.querySelector("button.att-cell[aria-pressed='false']");
      if (toggle) absent.push(toggle.getAttribute("data-enrolment"));
    });
    event.detail.parameters.absent = absent.join(",");
  });

  /* --- scores: Enter moves down the column, values are checked before they are sent ------- */

  function message(table, kind) { return table.getAttribute("data-msg-" + kind) || ""; }

  function parseScore(text) {
    text = text.replace(/[\s\u00a0]/g, "");
    if (text === "") return { value: null };
    if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/.test(text)) return { problem: "number" };
    var value = parseFloat(text.replace(",", "."));
    var decimals = (text.split(/[.,]/)[1] || "").replace(/0+$/, "");
    if (decimals.length > 2) return { problem: "decimals" };
    return { value: value };
  }

  function scoreProblem(input) {
    var parsed = parseScore(input.value);
    if (parsed.problem) return parsed.problem;
    if (parsed.value === null) return null;
    if (parsed.value < 0) return "negative";
    var max = parseFloat(input.getAttribute("data-max"));
    if (!isNaN(max) && parsed.value > max) return "max";
    return null;
  }

  function showProblem(input, text) {
    var box = input.closest(".score-cell");
    var note = box && box.querySelector(".score-cell__msg");
    if (text) {
      input.setAttribute("aria-invalid", "true");
      if (box) box.classList.add("score-cell--invalid");
    } else {
      input.removeAttribute("aria-invalid");
      if (box) box.classList.remove("score-cell--invalid");
    }
    if (note) note.textContent = text || "";
  }

  function inputBelow(input) {
    var td = input.closest("td");
    var table = grid(input);
    for (var r = td.parentElement.rowIndex + 1; r < table.rows.length; r++) {
      var cell = table.rows[r].cells[td.cellIndex];
      var next = cell && cell.querySelector("input.score-input:not([disabled])");
      if (next) return next;
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("score-input")) return;
    if (event.key === "Enter") {
      event.preventDefault();
      var next = inputBelow(input);
      if (next) {
        next.focus();
        next.select();
      } else {
        // The last row: leaving and coming back fires "change", which saves.
        input.blur();
        input.focus();
      }
    } else if (event.key === "Escape") {
      var problem = input.getAttribute("aria-invalid") === "true";
      if (problem) {
        showProblem(input, "");
        input.value = input.defaultValue;
      }
    }
  });

  // Refuse a wrong value on the spot: no request, the field marked and explained, focus kept.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var input = event.detail.elt;
    if (!input.classList || !input.classList.contains("score-input")) return;
    var problem = scoreProblem(input);
    if (problem) {
      event.preventDefault();
      showProblem(input, message(grid(input), problem));
      window.setTimeout(function () { input.focus(); input.select(); }, 0);
    } else {
      showProblem(input, "");
    }
  });

  // 409 (changed meanwhile) and 422 (refused) carry the cell to show: swap them like a 200.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 409 || status === 422) && grid(event.detail.elt)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a refused or conflicting score, put the person back in that field to look at it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status !== 409 && status !== 422) return;
    var target = event.detail.target;
    var input = target && target.id ? document.getElementById(target.id + "-input") : null;
    if (input) {
      input.focus();
      input.select();
    }
  });

  function box() { return document.getElementById("grid-message"); }

  function say(where, attribute) {
    if (!where) return;
    var p = document.createElement("p");
    p.className = "message message--error";
    p.textContent = where.getAttribute(attribute) || "";
    where.replaceChildren(p);
  }

  // A lost connection or a server error: say so, the cell keeps what it showed.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || !grid(event.detail.elt)) return;
    say(box(), "data-failed");
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (!grid(event.detail.elt)) return;
    say(box(), "data-offline");
  });
})();
