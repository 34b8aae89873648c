// The public board page's script (docs/server.md, "Public board page"): it sends the tracking
// code or the receipt file to this server's lookups and writes the answer, as text, into the
// page's live region. Its words come from the page (#board-messages), in the page's language.
"use strict";

(function () {
  const messages = JSON.parse(document.getElementById("board-messages").textContent);
  const result = document.getElementById("result");
  const codeForm = document.getElementById("code-form");
  const codeInput = document.getElementById("code");
  const receiptForm = document.getElementById("receipt-form");
  const receiptInput = document.getElementById("receipt");
  const KNOWN_ERRORS = [
    "invalid_tracking_code",
    "unsupported_file",
    "unreadable_file",
    "no_receipt",
    "body_too_large",
    "too_many_requests",
    "unavailable",
  ];

  // "{name}" in a message becomes values[name], as text.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function show(outcome, lines) {
    result.dataset.outcome = outcome;
    result.replaceChildren.apply(
      result,
      lines.map(function (line) {
        const paragraph = document.createElement("p");
        paragraph.textContent = line;
        return paragraph;
      })
    );
    if (outcome !== "busy") {
      result.scrollIntoView({ block: "nearest" });
    }
  }

  function busy(form, on) {
    result.setAttribute("aria-busy", on ? "true" : "false");
    form.querySelector("button").disabled = on;
  }

  async function ask(url, options) {
    const response = await fetch(url, Object.assign({ headers: { Accept: "application/json" } }, options));
    let body = null;
    try {
      body = await response.json();
    } catch (ignored) {
      body = null;
    }
    return { response: response, body: body };
  }

  function refusal(status, body) {
    const code = body && typeof body.error === "string" ? body.error : null;
    const lines = [KNOWN_ERRORS.indexOf(code) >= 0 ? messages[code] : fill(messages.failed, { status: status })];
    if (body && typeof body.detail === "string" && code !== "invalid_tracking_code") {
      lines.push(fill(messages.details, { detail: body.detail }));
    }
    const outcome = status === 400 || status === 413 || status === 415 || status === 422 ? "invalid" : "error";
    show(outcome, lines);
  }

  function showCode(body) {
    if (body.found) {
      show("found", [
        fill(messages.found, {
          code: body.tracking_code,
          seq: body.seq,
          scrutin: body.scrutin_title || body.scrutin,
          kiosk: body.kiosk,
        }),
      ]);
    } else {
      show("not-found", [fill(messages.not_found, { code: body.tracking_code }), messages.pending_note]);
    }
  }

  function showReceipts(receipts) {
    const lines = [];
    let allGood = true;
    let anyOnBoard = false;
    receipts.forEach(function (receipt) {
      const values = {
        code: receipt.tracking_code,
        seq: receipt.seq,
        scrutin: receipt.scrutin_title || receipt.scrutin,
        kiosk: receipt.kiosk,
        fingerprint: receipt.election_fingerprint,
      };
      if (receipt.on_board) {
        lines.push(fill(messages.receipt_found, values));
      } else if (receipt.mismatch) {
        lines.push(fill(messages.receipt_mismatch, values));
      } else {
        lines.push(fill(messages.receipt_not_found, values));
      }
      lines.push(fill(receipt.signature_valid ? messages.signature_valid : messages.signature_invalid, values));
      if (!receipt.this_election) {
        lines.push(fill(messages.other_election, values));
      }
      const good = receipt.on_board && receipt.signature_valid && receipt.this_election;
      if (!good) {
        const suspicious = !receipt.signature_valid || !receipt.this_election || receipt.mismatch;
        lines.push(suspicious ? messages.report_it : messages.pending_note);
      }
      allGood = allGood && good;
      anyOnBoard = anyOnBoard || receipt.on_board;
    });
    show(allGood ? "found" : anyOnBoard ? "warning" : "not-found", lines);
  }

  codeForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    const code = codeInput.value.trim();
    if (!code) {
      show("invalid", [messages.empty_code]);
      codeInput.focus();
      return;
    }
    busy(codeForm, true);
    show("busy", [messages.searching]);
    try {
      const answer = await ask("/v1/board/lookup?code=" + encodeURIComponent(code), {});
      if (answer.response.ok && answer.body) {
        showCode(answer.body);
      } else {
        refusal(answer.response.status, answer.body);
      }
    } catch (failure) {
      show("error", [messages.unavailable]);
    } finally {
      busy(codeForm, false);
    }
  });

  receiptForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    const file = receiptInput.files && receiptInput.files[0];
    if (!file) {
      show("invalid", [messages.no_file]);
      receiptInput.focus();
      return;
    }
    const form = new FormData();
    form.append("file", file, file.name);
    busy(receiptForm, true);
    show("busy", [messages.reading]);
    try {
      const answer = await ask("/v1/board/lookup-receipt", { method: "POST", body: form });
      if (answer.response.ok && answer.body) {
        showReceipts(answer.body.receipts);
      } else {
        refusal(answer.response.status, answer.body);
      }
    } catch (failure) {
      show("error", [messages.unavailable]);
    } finally {
      busy(receiptForm, false);
    }
  });
})();
