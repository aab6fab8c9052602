package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BackgroundPriorityTest {
  @Test
  void lowersTheCallingThreadOnlyAndItsChildrenInheritIt() throws Exception {
    assumeTrue(Files.isSymbolicLink(Path.of("/proc/thread-self")), "Linux only");
    OptionalInt before = BackgroundPriority.currentNice();
    assertTrue(before.isPresent());
    AtomicBoolean lowered = new AtomicBoolean();
    AtomicReference<OptionalInt> lowNice = new AtomicReference<>();
    AtomicReference<OptionalInt> childNice = new AtomicReference<>();
    Thread thread = new Thread(() -> {
      lowered.set(BackgroundPriority.lowerCurrentThread());
      lowNice.set(BackgroundPriority.currentNice());
      Thread child = new Thread(() -> childNice.set(BackgroundPriority.currentNice()));
      child.start();
      try {
        child.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    thread.start();
    thread.join();
    assertTrue(lowered.get());
    assertEquals(OptionalInt.of(BackgroundPriority.LOWEST), lowNice.get());
    assertEquals(OptionalInt.of(BackgroundPriority.LOWEST), childNice.get());
    assertEquals(before, BackgroundPriority.currentNice(), "the caller's own thread is untouched");
  }

  @Test
  void theThreadIdIsTheKernelsAndNotTheProcess() {
    assumeTrue(Files.isSymbolicLink(Path.of("/proc/thread-self")), "Linux only");
    OptionalInt tid = BackgroundPriority.currentThreadId();
    assertTrue(tid.isPresent());
    assertTrue(Files.isDirectory(Path.of("/proc/self/task/" + tid.getAsInt())));
  }

  /** The nice value of this JVM's thread with that name (the kernel keeps its first 15 characters), if any. */
  static OptionalInt niceOfThread(String name) throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          if (Files.readString(task.resolve("comm")).strip().equals(name)) {
            return BackgroundPriority.niceOf(task.resolve("stat"));
          }
        } catch (IOException e) {
          // the thread ended meanwhile
        }
      }
    }
    return OptionalInt.empty();
  }
}
