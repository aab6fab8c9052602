package io.imagestream.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The console's pages, style and scripts: a fixed list of resources inside the jar, looked up by exact path. Nothing
 * else is served from the jar and nothing at all from the disk, so no path can reach another file.
 */
final class StaticAssets {
  record Asset(byte[] body, String contentType) {}

  static final String CSRF_PLACEHOLDER = "{{csrf}}";

  private static final String HTML = "text/html; charset=utf-8";
  private static final Map<String, String[]> WHITELIST = Map.of(
      "/", new String[] {"live.html", HTML},
      "/label", new String[] {"label.html", HTML},
      "/static/console.css", new String[] {"console.css", "text/css; charset=utf-8"},
      "/static/common.js", new String[] {"common.js", "text/javascript; charset=utf-8"},
      "/static/live.js", new String[] {"live.js", "text/javascript; charset=utf-8"},
      "/static/label.js", new String[] {"label.js", "text/javascript; charset=utf-8"});

  private final Map<String, Asset> assets;

  /** Loads every listed resource now: a missing one is a broken build, found at start rather than on a click. */
  StaticAssets(String csrfToken) {
    Map<String, Asset> loaded = new java.util.HashMap<>();
    WHITELIST.forEach((path, spec) -> {
      byte[] body = read("/console/" + spec[0]);
      if (spec[1].equals(HTML)) { // pages carry the CSRF token for their scripts (hex: nothing to escape)
        body = new String(body, StandardCharsets.UTF_8).replace(CSRF_PLACEHOLDER, csrfToken)
            .getBytes(StandardCharsets.UTF_8);
      }
      loaded.put(path, new Asset(body, spec[1]));
    });
    this.assets = Map.copyOf(loaded);
  }

  /** The asset at exactly this path, or null. */
  Asset get(String path) {
    return assets.get(path);
  }

  private static byte[] read(String resource) {
    try (InputStream in = StaticAssets.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the console's resource " + resource + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
