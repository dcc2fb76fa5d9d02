// A background job's page: poll its status every two seconds until it ends; then show its
// link (an import preview opens by itself).
(function () {
  var box = document.querySelector('[data-job-status-url]');
  if (!box || box.getAttribute('data-job-finished') === 'yes') { return; }
  var bar = box.querySelector('[data-job-bar]');
  var message = box.querySelector('[data-job-message]');
  var next = box.querySelector('[data-job-next]');

  function show(state) {
    if (state.percent === null) { bar.removeAttribute('value'); } else { bar.value = state.percent; }
    message.textContent = state.message;
    if (state.status === 'failed') { message.classList.add('text-danger'); }
    if (state.status === 'done') { bar.classList.add('th-progress-done'); }
    if (state.next_url) {
      next.href = state.next_url;
      next.classList.remove('d-none');
    }
  }

  function poll() {
    fetch(box.getAttribute('data-job-status-url'), {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        show(state);
        if (!state.finished) { window.setTimeout(poll, 2000); return; }
        if (state.next_url && state.opens_next) { window.location.assign(state.next_url); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
