/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

/*
 * Merged by @jupyterlab/builder into the extension's webpack config (package.json,
 * "jupyterlab" > "webpackConfig").
 *
 * Graphic Walker 0.4.81 (the explorer) fetches two static files from the internet when it
 * opens: its logo from imagedelivery.net (it has the same logo bundled as a fallback) and
 * Leaflet's CSS from unpkg.com. A homelab is often offline, and nothing should leave the
 * server: this rewrites both in Graphic Walker's module. The logo becomes its bundled
 * fallback; Leaflet's CSS (from the leaflet package Graphic Walker depends on, with its
 * images emitted as the extension's assets) goes into Graphic Walker's shadow DOM as a
 * <style>, as Graphic Walker does with its own CSS. `strict` fails the build when a pattern
 * is not found (another Graphic Walker version): check its fetches again then.
 */

const leafletCss =
  '!!' +
  require.resolve('css-loader') +
  '?' +
  JSON.stringify({ exportType: 'string', esModule: false }) +
  '!leaflet/dist/leaflet.css';

module.exports = {
  module: {
    rules: [
      {
        test: /[\\/]@kanaries[\\/]graphic-walker[\\/]dist[\\/]graphic-walker\.es\.js$/,
        loader: require.resolve('string-replace-loader'),
        options: {
          // string-replace-loader reads `strict` per item of `multiple` (default false)
          multiple: [
            {
              strict: true,
              // the Kanaries logo: the bundled fallback (a data: URL) instead of the CDN
              search: /src: "https:\/\/imagedelivery\.net\/[^"]*", fallbackSrc: ([\w$]+)/,
              replace: 'src: $1, fallbackSrc: $1'
            },
            {
              strict: true,
              // Leaflet's CSS: from the leaflet package, inline, instead of unpkg.com
              search:
                /([\w$]+)\.createElement\("link", \{ rel: "stylesheet", href: "https:\/\/unpkg\.com\/leaflet@[^"]*"[^}]*\}\)/,
              replace: `$1.createElement("style", null, require(${JSON.stringify(leafletCss)}))`
            }
          ]
        }
      }
    ]
  }
};
