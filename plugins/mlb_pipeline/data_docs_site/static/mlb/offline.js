/* mlb_pipeline: what GX's Data Docs asked of jQuery, Bootstrap and Vega, without them (no
   CDN): "Show more" blocks open and close, the validation filter hides passed checks, and a
   chart (Vega is not shipped) says so instead of failing. */
document.addEventListener("click", function (event) {
  var link = event.target.closest('[data-toggle="collapse"]');
  if (!link) return;
  event.preventDefault();
  var body = document.getElementById(link.getAttribute("href").slice(1));
  if (body) body.classList.toggle("show");
});

function setSucceededShown(shown) {
  var targets = document.querySelectorAll(
    ".hide-succeeded-validation-target, .hide-succeeded-validation-target-child"
  );
  targets.forEach(function (el) {
    var node = el.classList.contains("hide-succeeded-validation-target-child") ? el.parentElement : el;
    node.style.display = shown ? "" : "none";
  });
}
function showAllValidations() { setSucceededShown(true); }
function hideSucceededValidations() { setSucceededShown(false); }

function vegaEmbed(selector) {
  var el = document.querySelector(selector);
  if (el) el.innerHTML = '<p class="ge-offline-note">(chart not shown: Vega is not served with these pages)</p>';
  return Promise.resolve(null);
}
