package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.TestImages;
import java.awt.Color;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP side on a real server with plain objects behind it: headers, the whitelist, CSRF, tokens. */
class ConsoleHttpTest {
  private static final byte[] JPEG = TestImages.solid("jpeg", 8, 8, Color.RED);
  private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
  private final LabelQueue queue = new LabelQueue(100, 1000);
  private final LiveView live = new LiveView(10, 5, 1 << 20, 1 << 20, System::currentTimeMillis);
  private ConsoleHttp http;
  private AccessGuard guard;

  private void start(String token) {
    guard = new AccessGuard(token);
    Labelling labelling = new Labelling(queue, at -> JPEG,
        (key, value, label) -> sent.add(new String(key, StandardCharsets.UTF_8) + "=" + label));
    http = new ConsoleHttp("127.0.0.1", 0, new ConsoleHttp.Sources(live, queue, labelling, at -> JPEG, "to-label",
        () -> null, () -> 0, () -> true, 1 << 20), guard, 50);
  }

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + http.port() + path);
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<String> post(String path, String body, String csrf) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (csrf != null) {
      request.header(AccessGuard.CSRF_HEADER, csrf);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void pagesCarryAPolicyWithoutInlineScriptAndNoSniffing() throws Exception {
    start(null);
    for (String path : List.of("/", "/label", "/static/console.css", "/static/live.js", "/api/live", "/nothing")) {
      HttpResponse<byte[]> response = get(path);
      String csp = response.headers().firstValue("Content-Security-Policy").orElse("");
      assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), path + ": " + csp);
      assertTrue(csp.contains("default-src 'none'"), csp);
      assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElse(""), path);
    }
    String label = new String(get("/label").body(), StandardCharsets.UTF_8);
    assertTrue(label.contains("content=\"" + guard.csrfToken() + "\""), "the page carries the CSRF token");
    for (String page : List.of("/", "/label")) {
      String html = new String(get(page).body(), StandardCharsets.UTF_8);
      assertFalse(html.matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), page + " has an inline script");
      assertFalse(html.contains(" on") && html.matches("(?s).*\\son[a-z]+=.*"), page + " has an inline handler");
    }
  }

  @Test
  void onlyTheListedAssetsAreServedAndNothingFromDisk() throws Exception {
    start(null);
    assertEquals(200, get("/static/label.js").statusCode());
    assertEquals("text/javascript; charset=utf-8", get("/static/label.js").headers().firstValue("Content-Type")
        .orElse(""));
    for (String path : List.of("/static/../pom.xml", "/static/%2e%2e/pom.xml", "/console/live.html",
        "/static/Console.class", "/io/imagestream/console/Console.class", "/etc/passwd", "/static/",
        "/img/live/../../pom.xml", "/img/label/0/-1", "/img/live/abc", "/label/")) {
      assertEquals(404, get(path).statusCode(), path);
    }
  }

  @Test
  void imagesGoOutWithTheirSniffedTypeAndOnlyWhenOffered() throws Exception {
    start(null);
    live.image(new Coordinates("images", 0, 0), JPEG);
    live.prediction(LiveViewTest.prediction("x", "b", 0, 0), -1, true);
    long seq = live.itemsAfter(0).get(0).seq();
    HttpResponse<byte[]> image = get("/img/live/" + seq);
    assertEquals(200, image.statusCode());
    assertEquals("image/jpeg", image.headers().firstValue("Content-Type").orElse(""));
    assertArrayEquals(JPEG, image.body());
    assertEquals(404, get("/img/live/" + (seq + 1)).statusCode());
    assertEquals(404, get("/img/label/0/0").statusCode(), "not in the queue: not served");
    queue.offer(LabelQueueTest.queued("q", 1, 0, 0));
    assertEquals(200, get("/img/label/0/0").statusCode());
  }

  @Test
  void aLabelNeedsThePostAndTheCsrfToken() throws Exception {
    start(null);
    queue.offer(LabelQueueTest.queued("img-1", 1, 0, 0));
    String body = "{\"id\":\"img-1\",\"label\":\"dog\"}";
    assertEquals(403, post("/api/label", body, null).statusCode());
    assertEquals(403, post("/api/label", body, "0".repeat(64)).statusCode());
    assertEquals(404, get("/api/label?id=img-1&label=dog").statusCode(), "no state change by GET");
    HttpResponse<String> put = client.send(HttpRequest.newBuilder(uri("/api/label"))
        .PUT(HttpRequest.BodyPublishers.ofString(body)).header(AccessGuard.CSRF_HEADER, guard.csrfToken()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, put.statusCode());
    assertEquals(0, sent.size());
    HttpResponse<String> ok = post("/api/label", body, guard.csrfToken());
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(List.of("img-1=dog"), List.copyOf(sent));
    assertEquals(409, post("/api/label", body, guard.csrfToken()).statusCode(), "once per image");
    assertEquals(400, post("/api/label", "not json", guard.csrfToken()).statusCode());
    assertEquals(1, sent.size());
  }

  @Test
  void aForeignHostNameIsRefusedWithoutAToken() throws Exception {
    start(null);
    assertTrue(raw("GET / HTTP/1.1\r\nHost: evil.example:" + http.port() + "\r\nConnection: close\r\n\r\n")
        .startsWith("HTTP/1.1 403"));
    assertTrue(raw("GET / HTTP/1.1\r\nHost: localhost:" + http.port() + "\r\nConnection: close\r\n\r\n")
        .startsWith("HTTP/1.1 200"));
  }

  @Test
  void withATokenTheUrlTokenBecomesACookie() throws Exception {
    start("s3cret");
    assertEquals(401, get("/").statusCode());
    assertEquals(401, get("/api/live").statusCode());
    assertEquals(401, get("/?token=wrong").statusCode());
    HttpResponse<byte[]> login = get("/label?token=s3cret");
    assertEquals(303, login.statusCode());
    assertEquals("/label", login.headers().firstValue("Location").orElse(""));
    String cookie = login.headers().firstValue("Set-Cookie").orElse("");
    String pair = cookie.substring(0, cookie.indexOf(';'));
    HttpResponse<byte[]> page = client.send(HttpRequest.newBuilder(uri("/label")).header("Cookie", pair).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, page.statusCode());
  }

  private String raw(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", http.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readNBytes(12), StandardCharsets.ISO_8859_1); // the status line's start is enough
    }
  }
}
