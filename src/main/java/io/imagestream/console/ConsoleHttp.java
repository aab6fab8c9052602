package io.imagestream.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The console's HTTP side on the JDK's own server (as /metrics is): the two pages and their assets from a fixed list,
 * JSON for the scripts, images by number, server-sent events for live updates, and the one POST that labels.
 * Every response carries a Content-Security-Policy without inline script, {@code nosniff} and no framing.
 */
final class ConsoleHttp implements AutoCloseable {
  /** What the pages show and do, as plain objects (tests give their own). */
  record Sources(LiveView live, LabelQueue queue, Labelling labelling, Function<Coordinates, byte[]> toLabelBytes,
                 String toLabelTopic, Supplier<ModelSummary> model, IntSupplier modelVersions,
                 BooleanSupplier labelReady, long maxImageBytes) {}

  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  private static final int MAX_EVENT_STREAMS = 32;
  private static final int MAX_POST_BYTES = 4096;
  private static final Pattern LIVE_IMAGE = Pattern.compile("/img/live/(\\d{1,18})");
  private static final Pattern LABEL_IMAGE = Pattern.compile("/img/label/(\\d{1,9})/(\\d{1,18})");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor;
  private final Sources sources;
  private final AccessGuard guard;
  private final StaticAssets assets;
  private final Semaphore eventStreams = new Semaphore(MAX_EVENT_STREAMS);
  private final AtomicBoolean closing = new AtomicBoolean();
  private final long eventIntervalMs;

  ConsoleHttp(String host, int port, Sources sources, AccessGuard guard, long eventIntervalMs) {
    this.sources = sources;
    this.guard = guard;
    this.assets = new StaticAssets(guard.csrfToken());
    this.eventIntervalMs = eventIntervalMs;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve the console on " + host + ":" + port + " (" + e.getMessage()
          + "); choose another --port", e);
    }
    executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "console-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Headers request = exchange.getRequestHeaders();
      String host = request.getFirst("Host");
      String path = exchange.getRequestURI().getRawPath();
      String method = exchange.getRequestMethod();
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      if (guard.tokenRequired() && "GET".equals(method) && query.containsKey("token")
          && assets.get(path) != null && path.matches("/|/label")) {
        if (!guard.matchesToken(query.get("token"))) {
          text(exchange, 401, "wrong token\n");
          return;
        }
        exchange.getResponseHeaders().add("Set-Cookie", guard.tokenCookie());
        exchange.getResponseHeaders().set("Location", path); // the token leaves the address bar and the history
        send(exchange, 303, "text/plain; charset=utf-8", new byte[0]);
        return;
      }
      if (!guard.admits(host, request.get("Cookie"), request.getFirst("Authorization"))) {
        text(exchange, guard.tokenRequired() ? 401 : 403, guard.tokenRequired()
            ? "this console needs its token: open it once as /?token=TOKEN\n"
            : "the console answers only to a loopback host name (127.0.0.1 or localhost)\n");
        return;
      }
      if ("POST".equals(method)) {
        post(exchange, path, host);
      } else if ("GET".equals(method) || "HEAD".equals(method)) {
        get(exchange, path, query);
      } else {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD, POST");
        text(exchange, 405, "method not allowed\n");
      }
    } catch (IOException e) {
      // the browser went away
    }
  }

  private void get(HttpExchange exchange, String path, Map<String, String> query) throws IOException {
    StaticAssets.Asset asset = assets.get(path);
    if (asset != null) {
      send(exchange, 200, asset.contentType(), asset.body());
      return;
    }
    Matcher live = LIVE_IMAGE.matcher(path);
    if (live.matches()) {
      image(exchange, sources.live().image(Long.parseLong(live.group(1))));
      return;
    }
    Matcher label = LABEL_IMAGE.matcher(path);
    if (label.matches()) {
      Coordinates at = new Coordinates(sources.toLabelTopic(), Integer.parseInt(label.group(1)),
          Long.parseLong(label.group(2)));
      LabelQueue.Queued queued = sources.queue().at(at); // only what the queue offers, nothing else on the topic
      byte[] bytes = queued == null ? null : sources.toLabelBytes().apply(at);
      image(exchange, bytes == null ? null : ImageBytes.of(bytes, sources.maxImageBytes()).orElse(null));
      return;
    }
    switch (path) {
      case "/api/live" -> json(exchange, 200, liveState());
      case "/api/label/queue" -> json(exchange, 200, labelState(limit(query.get("limit"))));
      case "/events" -> events(exchange, query.get("after"));
      default -> text(exchange, 404, "not found\n");
    }
  }

  private void post(HttpExchange exchange, String path, String host) throws IOException {
    Headers request = exchange.getRequestHeaders();
    if (!guard.allowsStateChange(request.getFirst(AccessGuard.CSRF_HEADER), request.getFirst("Origin"), host)) {
      text(exchange, 403, "refused: no valid CSRF token (reload the page)\n");
      return;
    }
    if (!"/api/label".equals(path)) {
      text(exchange, 404, "not found\n");
      return;
    }
    JsonNode body;
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_POST_BYTES + 1);
      if (bytes.length > MAX_POST_BYTES) {
        text(exchange, 413, "request too large\n");
        return;
      }
      body = JSON.readTree(bytes);
    } catch (IOException e) {
      text(exchange, 400, "not JSON\n");
      return;
    }
    if (body == null || !body.path("id").isTextual() || !body.path("label").isTextual()) {
      text(exchange, 400, "expected {\"id\": ..., \"label\": ...}\n");
      return;
    }
    Labelling.Result result = sources.labelling().label(body.get("id").asText(), body.get("label").asText());
    int status = switch (result.status()) {
      case LABELLED -> 200;
      case ALREADY_LABELLED -> 409;
      case NOT_QUEUED, IMAGE_GONE -> 404;
      case UNKNOWN_CLASS -> 400;
      case SEND_FAILED -> 502;
    };
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", result.status().name());
    out.put("message", result.message());
    out.put("counts", sources.queue().counts());
    json(exchange, status, out);
  }

  private Map<String, Object> liveState() {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("items", sources.live().itemsAfter(0));
    state.put("capacity", sources.live().capacity());
    state.putAll(status());
    return state;
  }

  private Map<String, Object> status() {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("stats", sources.live().stats());
    status.put("deadLetters", sources.live().deadLetters());
    status.put("model", sources.model().get());
    status.put("modelVersions", sources.modelVersions().getAsInt());
    status.put("queue", sources.queue().counts());
    status.put("labelReady", sources.labelReady().getAsBoolean());
    return status;
  }

  private Map<String, Object> labelState(int limit) {
    Map<String, Object> state = new LinkedHashMap<>();
    boolean ready = sources.labelReady().getAsBoolean();
    state.put("ready", ready);
    state.put("counts", sources.queue().counts());
    state.put("items", ready ? sources.queue().oldest(limit).stream().map(q -> {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("id", q.id());
      item.put("image", "/img/label/" + q.at().partition() + "/" + q.at().offset());
      item.put("label", q.label());
      item.put("probability", q.probability());
      item.put("top", q.top());
      item.put("classes", q.classes());
      item.put("modelVersion", q.modelVersion());
      item.put("timestamp", q.timestamp());
      return item;
    }).toList() : List.of());
    return state;
  }

  /**
   * Server-sent events: new images as they come (after {@code ?after=SEQ}, the newest the page already has), and the
   * numbers every interval, until the browser leaves.
   */
  private void events(HttpExchange exchange, String after) throws IOException {
    if ("HEAD".equals(exchange.getRequestMethod())) {
      send(exchange, 200, "text/event-stream; charset=utf-8", new byte[0]);
      return;
    }
    if (!eventStreams.tryAcquire()) {
      text(exchange, 503, "too many open pages\n");
      return;
    }
    try {
      securityHeaders(exchange);
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      long lastSeq = after != null && after.matches("\\d{1,18}") ? Long.parseLong(after) // what the page has
          : sources.live().itemsAfter(0).stream().mapToLong(LiveView.Item::seq).max().orElse(0);
      while (!closing.get()) {
        List<LiveView.Item> items = sources.live().itemsAfter(lastSeq);
        if (!items.isEmpty()) {
          lastSeq = items.get(items.size() - 1).seq();
          event(out, "images", items);
        }
        event(out, "status", status());
        try {
          Thread.sleep(eventIntervalMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    } finally {
      eventStreams.release();
    }
  }

  private static void event(OutputStream out, String name, Object data) throws IOException {
    out.write(("event: " + name + "\ndata: ").getBytes(StandardCharsets.UTF_8));
    out.write(JSON.writeValueAsBytes(data)); // one line: JSON escapes newlines inside strings
    out.write("\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void image(HttpExchange exchange, ImageBytes image) throws IOException {
    if (image == null) {
      text(exchange, 404, "no such image (any more)\n");
      return;
    }
    send(exchange, 200, image.contentType(), image.bytes());
  }

  private static int limit(String value) {
    try {
      return value == null ? 50 : Math.max(1, Math.min(200, Integer.parseInt(value)));
    } catch (NumberFormatException e) {
      return 50;
    }
  }

  static Map<String, String> query(String raw) {
    Map<String, String> query = new HashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          try {
            query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
          } catch (IllegalArgumentException e) {
            // a malformed pair is ignored
          }
        }
      }
    }
    return query;
  }

  private static void json(HttpExchange exchange, int status, Object body) throws IOException {
    send(exchange, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
  }

  private static void text(HttpExchange exchange, int status, String body) throws IOException {
    send(exchange, status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    securityHeaders(exchange);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static void securityHeaders(HttpExchange exchange) {
    Headers h = exchange.getResponseHeaders();
    h.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cache-Control", "no-store");
  }

  @Override
  public void close() {
    closing.set(true);
    server.stop(0);
    executor.shutdownNow();
  }
}
