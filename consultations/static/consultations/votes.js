/* Vote buttons on the round page. Everything works without this file (plain form posts, and a page
   of its own for a block's rationale); with it, votes are sent with fetch, the target's box is
   swapped for the fresh one from the server, and a block asks for its rationale in a <dialog>. */
(function () {
  "use strict";
  var dialog = document.getElementById("block-dialog");
  var live = document.querySelector("[data-vote-message]");

  function say(text) {
    if (live) { live.textContent = text || ""; }
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  function swap(body) {
    var box = document.getElementById(body.target);
    if (!box) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = body.html.trim();
    var fresh = holder.firstElementChild;
    var open = box.querySelector("details[open]") !== null;
    box.replaceWith(fresh);
    if (open) { fresh.querySelector("details").open = true; }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-block-dialog]");
    if (button && dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      var anchor = button.form.elements.anchor.value;
      var form = dialog.querySelector("form");
      form.elements.anchor.value = anchor;
      dialog.querySelector("[data-block-target]").textContent = anchor ? "clause " + anchor : "the whole draft";
      dialog.querySelector("[data-block-error]").hidden = true;
      dialog.showModal();
      form.elements.rationale.focus();
      return;
    }
    if (event.target.closest("[data-dialog-close]") && dialog) { dialog.close(); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-vote-form]")) { return; }
    event.preventDefault();
    var inDialog = form.hasAttribute("data-block-form");
    send(form, event.submitter).then(function (result) {
      if (result.ok) {
        swap(result.body);
        say(result.body.message);
        if (inDialog) { form.reset(); dialog.close(); }
      } else if (inDialog) {
        var error = dialog.querySelector("[data-block-error]");
        error.textContent = result.body.detail;
        error.hidden = false;
      } else {
        say(result.body.detail);
      }
    }).catch(function () {
      say("The vote could not be sent; check your connection and try again.");
    });
  });
}());
