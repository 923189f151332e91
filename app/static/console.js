// The console's only script besides htmx: a form that says `data-confirm` asks before it is
// sent (withdrawing, submitting a claim). Served from the service itself (no inline script).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : null;
  if (question && !window.confirm(question)) event.preventDefault();
});
