// Drag a file onto a checklist row to choose it for that row's upload field.
document.querySelectorAll('tr[data-drop]').forEach(function (row) {
  var input = row.querySelector('input[type=file]');
  if (!input) { return; }
  row.addEventListener('dragover', function (event) { event.preventDefault(); row.classList.add('table-primary'); });
  row.addEventListener('dragleave', function () { row.classList.remove('table-primary'); });
  row.addEventListener('drop', function (event) {
    event.preventDefault();
    row.classList.remove('table-primary');
    if (event.dataTransfer.files.length) {
      var chosen = new DataTransfer();
      chosen.items.add(event.dataTransfer.files[0]);
      input.files = chosen.files;
    }
  });
});
