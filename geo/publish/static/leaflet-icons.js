/* Leaflet's default marker images in an offline page.
 *
 * Leaflet finds its marker images through the URL of a CSS background, which an
 * offline page inlines as a data: URI; without this, a plain marker would ask for
 * marker-icon.png beside the page. The page gives the images, as data: URIs, in the
 * JSON block #geo-leaflet-icons written just before this script.
 */
(function () {
  "use strict";
  var block = document.getElementById("geo-leaflet-icons");
  if (!block || typeof L === "undefined") {
    return;
  }
  L.Icon.Default.imagePath = "";
  L.Icon.Default.mergeOptions(JSON.parse(block.textContent));
})();
