package io.imagestream.train;

import io.imagestream.model.ClassFolders;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which class a label names. A label that is a class of the live model, or a label learnt before, is that class. One
 * that only differs from exactly one of them in separators ({@code T-shirt-top} for {@code T-shirt/top}, as folder
 * names and file-system-minded tools write it; see {@link ClassFolders}) is that class too: a second class for the
 * same thing would split its images between two outputs. Any other label starts a new class (the trainer learns new
 * classes from labels by design). The caller counts every renamed or new-class label and reports each label once.
 */
final class LabelResolver {
  enum Kind { CLASS, RENAMED, NEW_CLASS }

  record Resolved(String className, Kind kind, List<String> knownClasses) {}

  private final Set<String> learnt = new HashSet<>();
  private final Map<String, String> renamed = new HashMap<>();
  private final Set<String> reported = new HashSet<>();

  Resolved resolve(String label, Collection<String> liveClasses) {
    Set<String> known = new LinkedHashSet<>(liveClasses);
    known.addAll(learnt);
    if (known.contains(label)) {
      return new Resolved(label, Kind.CLASS, List.copyOf(known));
    }
    String target = renamed.get(label);
    if (target == null) {
      List<String> candidates = ClassFolders.candidates(label, known);
      if (candidates.size() == 1) {
        target = candidates.get(0);
        renamed.put(label, target);
      }
    }
    return target != null ? new Resolved(target, Kind.RENAMED, List.copyOf(known))
        : new Resolved(label, Kind.NEW_CLASS, List.copyOf(known));
  }

  /** True the first time it is asked for a label: report each label once, not on every record. */
  boolean firstReport(String label) {
    return reported.add(label);
  }

  /** The class now has training images: later labels are compared with it too. */
  void learnt(String className) {
    learnt.add(className);
  }
}
