// Kanban boards: SortableJS on each column (the htmx "sortable" example). A drop fills the target column's
// form with the moved card and its version and posts it; the server answers with the refreshed board.
(function () {
  function init(root) {
    root.querySelectorAll(".kcards[data-sortable]").forEach(function (list) {
      if (list._sortable) return;
      list._sortable = Sortable.create(list, {
        group: list.dataset.group,
        draggable: ".kcard",
        filter: ".locked",
        preventOnFilter: false,
        forceFallback: true,      // pointer events: the same path for mouse, touch and test drivers
        fallbackTolerance: 4,     // a click on the title or the menu is not a drag
        animation: 120,
        ghostClass: "kcard-ghost",
        onMove: function (evt) { return !evt.related.classList.contains("htmx-indicator"); },
        onEnd: function (evt) {
          if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
          var form = evt.to.closest("form");
          form.querySelector("input[name=moved]").value = evt.item.dataset.id;
          form.querySelector("input[name=version]").value = evt.item.dataset.version;
          document.querySelectorAll(".kcards[data-sortable]").forEach(function (l) {
            if (l._sortable) l._sortable.option("disabled", true);  // until the refreshed board arrives
          });
          htmx.trigger(form, "card-dropped");
        }
      });
    });
  }
  htmx.onLoad(init);
})();
