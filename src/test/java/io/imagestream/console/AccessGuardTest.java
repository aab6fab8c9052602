package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AccessGuardTest {
  @Test
  void anyAddressButLoopbackNeedsAToken() {
    assertDoesNotThrow(() -> AccessGuard.checkBinding("127.0.0.1", null));
    assertDoesNotThrow(() -> AccessGuard.checkBinding("localhost", null));
    assertDoesNotThrow(() -> AccessGuard.checkBinding("::1", null));
    AccessGuard.RefusedException e = assertThrows(AccessGuard.RefusedException.class,
        () -> AccessGuard.checkBinding("0.0.0.0", null));
    assertTrue(e.getMessage().contains("imagestream.console.token"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertThrows(AccessGuard.RefusedException.class, () -> AccessGuard.checkBinding("0.0.0.0", "  "));
    assertDoesNotThrow(() -> AccessGuard.checkBinding("0.0.0.0", "s3cret"));
  }

  @Test
  void withoutATokenOnlyLoopbackHostNamesAreServed() {
    AccessGuard guard = new AccessGuard(null);
    for (String host : List.of("127.0.0.1:9402", "localhost:9402", "LOCALHOST", "[::1]:9402", "127.0.0.2")) {
      assertTrue(guard.admits(host, null, null), host);
    }
    for (String host : List.of("evil.example:9402", "127.0.0.1.evil.example", "", "[::2]:1")) {
      assertFalse(guard.admits(host, null, null), host); // DNS rebinding: a foreign name pointing at 127.0.0.1
    }
    assertFalse(guard.admits(null, null, null));
  }

  @Test
  void withATokenEveryRequestCarriesIt() {
    AccessGuard guard = new AccessGuard("s3cret; odd=chars");
    assertFalse(guard.admits("127.0.0.1:1", null, null));
    assertFalse(guard.admits("127.0.0.1:1", List.of("imagestream_console_token=s3cret"), null));
    assertTrue(guard.admits("console.example", null, "Bearer s3cret; odd=chars"));
    assertFalse(guard.admits("console.example", null, "Bearer s3cre"));
    String cookie = guard.tokenCookie();
    assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), cookie);
    assertFalse(cookie.contains("s3cret"), "the cookie holds a digest, not the token");
    String pair = cookie.substring(0, cookie.indexOf(';'));
    assertTrue(guard.admits("console.example", List.of("other=1; " + pair), null));
    assertTrue(guard.matchesToken("s3cret; odd=chars"));
    assertFalse(guard.matchesToken(null));
  }

  @Test
  void stateChangesNeedTheCsrfTokenAndTheSameOrigin() {
    AccessGuard guard = new AccessGuard(null);
    String csrf = guard.csrfToken();
    assertTrue(csrf.matches("[0-9a-f]{64}"));
    assertFalse(guard.allowsStateChange(null, null, "127.0.0.1:9402"));
    assertFalse(guard.allowsStateChange("", null, "127.0.0.1:9402"));
    assertFalse(guard.allowsStateChange(new AccessGuard(null).csrfToken(), null, "127.0.0.1:9402"));
    assertTrue(guard.allowsStateChange(csrf, null, "127.0.0.1:9402"));
    assertTrue(guard.allowsStateChange(csrf, "http://127.0.0.1:9402", "127.0.0.1:9402"));
    assertFalse(guard.allowsStateChange(csrf, "http://evil.example", "127.0.0.1:9402"));
    assertFalse(guard.allowsStateChange(csrf, "null", "127.0.0.1:9402"));
  }
}
