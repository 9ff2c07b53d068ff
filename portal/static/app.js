// HTMX sends the CSRF token from the page's meta tag on every request it makes.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});

// A partial that failed (4xx/5xx) still shows its message instead of doing nothing.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 422 || status === 409 || status === 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-error");
  if (box) {
    box.textContent = "The server could not complete that action (" + event.detail.xhr.status + "). Reload the page and try again.";
    box.hidden = false;
  }
});

document.addEventListener("htmx:sendError", function () {
  var box = document.getElementById("htmx-error");
  if (box) {
    box.textContent = "The portal could not be reached. Check your connection and try again.";
    box.hidden = false;
  }
});
