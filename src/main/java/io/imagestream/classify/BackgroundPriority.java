package io.imagestream.classify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Lowers the CPU priority of the calling thread to the lowest there is (Linux nice 19), for work that should take
 * only the CPU that serving leaves idle: the model follower's load, checks and warm-up of a new version. On a machine
 * whose cores the stream threads and network threads keep busy, that work otherwise takes a core from a batch in
 * the network (the hot swap's worst batch fell while the new model loaded, in most bench runs without it).
 *
 * <p>Linux applies {@code setpriority(PRIO_PROCESS, tid, ...)} to one thread (see setpriority(2), "BUGS"), and any
 * user may lower a priority. Threads the lowered thread starts inherit it. Elsewhere, or without libc, nothing
 * changes and {@link #lowerCurrentThread()} says so.
 */
public final class BackgroundPriority {
  /** The lowest priority: a nice-0 thread that wants the core gets ~98 % of it against this one. */
  public static final int LOWEST = 19;
  private static final int PRIO_PROCESS = 0;

  private interface LibC extends com.sun.jna.Library {
    int setpriority(int which, int who, int prio);
  }

  private BackgroundPriority() {}

  /** @return true when the calling thread now runs at nice {@link #LOWEST} */
  public static boolean lowerCurrentThread() {
    OptionalInt tid = currentThreadId();
    if (tid.isEmpty()) {
      return false;
    }
    try {
      LibC libc = (LibC) com.sun.jna.Native.loadLibrary("c", LibC.class);
      return libc.setpriority(PRIO_PROCESS, tid.getAsInt(), LOWEST) == 0;
    } catch (RuntimeException | LinkageError e) { // no libc to call
      return false;
    }
  }

  /** The kernel's id of the calling thread: /proc/thread-self links to /proc/PID/task/TID (Linux 3.17 and later). */
  static OptionalInt currentThreadId() {
    try {
      Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      return OptionalInt.of(Integer.parseInt(link.getFileName().toString()));
    } catch (IOException | UnsupportedOperationException | NumberFormatException | SecurityException e) {
      return OptionalInt.empty();
    }
  }

  /** The nice value of the calling thread, from /proc/thread-self/stat (field 19), if the system has one. */
  static OptionalInt currentNice() {
    return niceOf(Path.of("/proc/thread-self/stat"));
  }

  /** The nice value in a /proc/.../stat file (field 19), if it can be read. */
  static OptionalInt niceOf(Path stat) {
    try {
      String line = Files.readString(stat);
      // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
      String[] fields = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
      return OptionalInt.of(Integer.parseInt(fields[19 - 3]));
    } catch (IOException | RuntimeException e) {
      return OptionalInt.empty();
    }
  }
}
