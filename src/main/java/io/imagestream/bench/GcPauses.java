package io.imagestream.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The JVM's stop-the-world collections while it records, each with its wall-clock interval, so that a run can say
 * how much of a slow batch or of a latency window was a GC pause. Every Java thread stops in a pause, and a network
 * call (DL4J calls into native code layer by layer, from Java) that is under way when one starts ends only after it.
 * The pauses come from the garbage collector beans' notifications: with G1 on Java 17 those are the young and mixed
 * collections ("G1 Young Generation") and full ones ("G1 Old Generation"); the Remark and Cleanup pauses of a
 * concurrent cycle are not reported there (Java 20 added a bean for them), so the figures are a lower bound.
 */
final class GcPauses implements AutoCloseable {
  /** One pause: wall-clock start and end (epoch ms, the beans' millisecond resolution), collector, cause. */
  record Pause(long startMs, long endMs, String collector, String cause) {
    long millis() {
      return endMs - startMs;
    }

    /** The part of this pause inside [fromMs, toMs], in ms (0 if none). */
    long overlapMs(long fromMs, long toMs) {
      return Math.max(0, Math.min(endMs, toMs) - Math.max(startMs, fromMs));
    }
  }

  /** The pauses of a window: how many, their total and the longest (ms). */
  record Summary(int count, long totalMs, long maxMs) {
    static final Summary NONE = new Summary(0, 0, 0);

    static Summary of(List<Pause> pauses) {
      return new Summary(pauses.size(), pauses.stream().mapToLong(Pause::millis).sum(),
          pauses.stream().mapToLong(Pause::millis).max().orElse(0));
    }
  }

  private final List<Pause> pauses = new ArrayList<>();
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final long jvmStartMs = ManagementFactory.getRuntimeMXBean().getStartTime();
  private final NotificationListener listener = this::onNotification;

  private GcPauses() {}

  /** Starts recording; {@link #close} stops. */
  static GcPauses record() {
    GcPauses recording = new GcPauses();
    for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (bean instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(recording.listener, null, null);
        recording.emitters.add(emitter);
      }
    }
    return recording;
  }

  private void onNotification(Notification notification, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
      return;
    }
    GarbageCollectionNotificationInfo info =
        GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    if (isConcurrent(info.getGcName())) {
      return; // ZGC's and Shenandoah's cycles run beside the application: not pauses
    }
    GcInfo gc = info.getGcInfo();
    add(new Pause(jvmStartMs + gc.getStartTime(), jvmStartMs + gc.getEndTime(), info.getGcName(),
        info.getGcCause()));
  }

  private static boolean isConcurrent(String collector) {
    return collector.endsWith("Cycles") || collector.equals("G1 Concurrent GC");
  }

  synchronized void add(Pause pause) {
    pauses.add(pause);
  }

  /** The pauses that overlap [fromMs, toMs]. */
  synchronized List<Pause> between(long fromMs, long toMs) {
    return pauses.stream().filter(p -> p.endMs() >= fromMs && p.startMs() <= toMs).toList();
  }

  /** The pause time inside [fromMs, toMs], in ms. */
  synchronized long pausedMs(long fromMs, long toMs) {
    return pauses.stream().mapToLong(p -> p.overlapMs(fromMs, toMs)).sum();
  }

  @Override
  public void close() {
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(listener);
      } catch (ListenerNotFoundException e) {
        // already gone
      }
    }
  }
}
