// Progressive enhancement of the school choice: the amount follows the boxes ticked, before saving.
// Without JavaScript the form still works; the page shows the amount saved. External file: the CSP forbids inline script.
(function () {
  "use strict";

  var form = document.querySelector("form[data-tarif]");
  if (!form) {
    return;
  }
  var tarif = Number(form.getAttribute("data-tarif"));
  var nombre = document.getElementById("nombre-ecoles");
  var montant = document.getElementById("montant-participation");
  var euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

  function formatEuros(value) {
    // Same spaces as the server's formats.euros: non-breaking, not the narrow ones of Intl.
    return euros.format(value).replace(/\u202f/g, "\u00a0");
  }

  function ecoles(count) {
    return count + (count < 2 ? " école" : " écoles");
  }

  function update() {
    var count = form.querySelectorAll('input[name="ecoles"]:checked').length;
    nombre.textContent = ecoles(count);
    montant.textContent = formatEuros(count * tarif);
  }

  form.addEventListener("change", update);
  update();
})();
