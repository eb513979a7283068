// Small progressive enhancements; every page also works with plain forms and links.

// Ask before forms that take something away (archive, cancel, forget).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
}, true);

// <form data-partial="#id">: send with fetch and put the answered section in place of #id,
// so a demand moves on without reloading the page. The server answers a whole page without
// the X-Partial header, so a failed script leaves the ordinary form working.
document.addEventListener("submit", function (event) {
  var form = event.target, selector = form.getAttribute("data-partial");
  if (!selector || event.defaultPrevented || !window.fetch) { return; }
  event.preventDefault();
  var button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; }
  fetch(form.action, {method: "POST", body: new FormData(form), headers: {"X-Partial": "1"},
                      credentials: "same-origin"})
    .then(function (response) {
      return response.text().then(function (html) {
        if (response.headers.get("X-Partial") === "1") {
          document.querySelector(selector).outerHTML = html;
        } else {  // a whole page (signed out, an expired form): show it as a plain form would
          document.open(); document.write(html); document.close();
        }
      });
    })
    .catch(function () {
      // Not sent again by itself: the step may have been done; the member decides.
      if (button) { button.disabled = false; }
      window.alert("Chưa kết nối được với máy chủ. Anh/chị tải lại trang để xem yêu cầu đã được cập nhật chưa.");
    });
});

// <output data-count="URL" data-form="#id">: how many the form's choices reach, asked again
// whenever a choice changes (the broadcast's recipients).
function refreshCount(output) {
  var form = document.querySelector(output.getAttribute("data-form"));
  var query = new URLSearchParams(new FormData(form));
  query.delete("csrf");
  fetch(output.getAttribute("data-count") + "?" + query.toString(), {credentials: "same-origin"})
    .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
    .then(function (html) { output.innerHTML = html; })
    .catch(function () { output.textContent = "Chưa đếm được số người nhận."; });
}

// <div data-poll="URL" data-every="2000">: reload the section until it says it is finished
// (data-finished on the answered HTML), e.g. a broadcast's delivery report.
function poll(box) {
  if (box.querySelector("[data-finished]")) { return; }
  setTimeout(function () {
    fetch(box.getAttribute("data-poll"), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(function (html) { box.innerHTML = html; poll(box); })
      .catch(function () { poll(box); });
  }, parseInt(box.getAttribute("data-every") || "2000", 10));
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("output[data-count]").forEach(function (output) {
    var form = document.querySelector(output.getAttribute("data-form"));
    var timer = null;
    form.addEventListener("change", function () { refreshCount(output); });
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { refreshCount(output); }, 300);
    });
    refreshCount(output);
  });
  document.querySelectorAll("[data-poll]").forEach(poll);
});
