package io.imagestream.console;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Who may use the console, and how state changes are protected.
 * <ul>
 *   <li>Loopback by default; any other address needs {@code imagestream.console.token}, else the console does not
 *   start. With a token, every request must carry it: once as {@code ?token=} on a page (a cookie keeps it), or as
 *   {@code Authorization: Bearer}.</li>
 *   <li>Without a token, only requests naming the console by a loopback host are served: a web page elsewhere cannot
 *   reach it by pointing a DNS name at 127.0.0.1 (DNS rebinding).</li>
 *   <li>State changes are POSTs carrying this console's CSRF token in a header (which other sites cannot set, nor read
 *   from the page), from no other origin.</li>
 * </ul>
 */
final class AccessGuard {
  static final String COOKIE = "imagestream_console_token";
  static final String CSRF_HEADER = "X-CSRF-Token";
  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

  private final String token;
  private final String csrfToken;

  AccessGuard(String token) {
    this.token = token;
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    this.csrfToken = HexFormat.of().formatHex(random);
  }

  /** Thrown when the console must not start as asked; the message is the one line to show. */
  static final class RefusedException extends RuntimeException {
    RefusedException(String message) {
      super(message);
    }
  }

  /** Refuses a non-loopback address without a token. */
  static void checkBinding(String host, String token) {
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new RefusedException("cannot listen on --host " + host + ": unknown host");
    }
    if (!address.isLoopbackAddress() && (token == null || token.isBlank())) {
      throw new RefusedException("the console would listen on " + host + ", which is not a loopback address: set "
          + "imagestream.console.token (in the --config file or IMAGESTREAM_CONSOLE_TOKEN) so only people who have "
          + "it get in, or use the default --host 127.0.0.1");
    }
  }

  String csrfToken() {
    return csrfToken;
  }

  boolean tokenRequired() {
    return token != null;
  }

  /** Whether the request may be served: the right token when one is set, else a loopback Host header. */
  boolean admits(String hostHeader, List<String> cookies, String authorization) {
    if (token == null) {
      return isLoopbackHost(hostHeader);
    }
    if (authorization != null && authorization.startsWith("Bearer ")
        && matchesToken(authorization.substring("Bearer ".length()).trim())) {
      return true;
    }
    for (String header : cookies == null ? List.<String>of() : cookies) {
      for (String cookie : header.split(";")) {
        String c = cookie.trim();
        if (c.startsWith(COOKIE + "=") && MessageDigest.isEqual(cookieValue().getBytes(StandardCharsets.UTF_8),
            c.substring(COOKIE.length() + 1).getBytes(StandardCharsets.UTF_8))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Constant time: the token is a secret. */
  boolean matchesToken(String candidate) {
    return token != null && candidate != null && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
        candidate.getBytes(StandardCharsets.UTF_8));
  }

  /** The cookie that keeps a token given once in the URL. */
  String tokenCookie() {
    return COOKIE + "=" + cookieValue() + "; Path=/; HttpOnly; SameSite=Lax";
  }

  /** A digest of the token, not the token: any characters may be in a token, and the cookie holds hex only. */
  private String cookieValue() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(("imagestream-console:" + token).getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** Whether a state-changing request carries this console's CSRF token and comes from no other origin. */
  boolean allowsStateChange(String csrfHeader, String origin, String hostHeader) {
    if (csrfHeader == null || !MessageDigest.isEqual(csrfToken.getBytes(StandardCharsets.UTF_8),
        csrfHeader.getBytes(StandardCharsets.UTF_8))) {
      return false;
    }
    if (origin == null) {
      return true; // not every browser sends Origin on same-origin requests; the header token is the check
    }
    try {
      URI uri = URI.create(origin);
      String originHost = uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
      return hostHeader != null && originHost.equalsIgnoreCase(hostHeader);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static boolean isLoopbackHost(String hostHeader) {
    if (hostHeader == null || hostHeader.isBlank()) {
      return false;
    }
    String host = hostHeader.trim().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      host = end < 0 ? host : host.substring(0, end + 1);
    } else if (host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    return LOOPBACK_NAMES.contains(host) || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}
