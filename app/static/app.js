// Small glue: show server error messages from htmx requests in a toast instead of failing silently.
document.addEventListener("htmx:responseError", (e) => {
  const toast = document.getElementById("toast");
  const text = (e.detail.xhr.responseText || "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
  toast.textContent = text.slice(0, 300) || ("Error " + e.detail.xhr.status);
  setTimeout(() => { toast.textContent = ""; }, 6000);
});
document.addEventListener("htmx:sendError", () => {
  document.getElementById("toast").textContent = document.documentElement.lang === "ru"
    ? "Нет связи с сервером. Попробуйте ещё раз." : "The server could not be reached. Try again.";
});
// The top bar's menu button (phones): folds the menus open and shut.
document.addEventListener("click", (e) => {
  const toggle = e.target.closest(".menu-toggle");
  if (!toggle) return;
  const bar = toggle.closest(".topbar");
  toggle.setAttribute("aria-expanded", String(bar.classList.toggle("open")));
});
