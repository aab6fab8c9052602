package io.imagestream.bench;

import java.util.Locale;

/**
 * A target of the performance issue and what this run measured for it: one row of the ratios table, with the
 * verdict "met" or "missed by how much", and the figures of the same run that bound it ({@code context}: what the
 * ratio is made of, or what limits it on this machine), so that a miss reads with its reason.
 */
record Target(String name, boolean atLeast, double target, double measured, String unit, String context) {

  static Target atLeast(String name, double target, double measured, String unit) {
    return new Target(name, true, target, measured, unit, "");
  }

  static Target atMost(String name, double target, double measured, String unit) {
    return new Target(name, false, target, measured, unit, "");
  }

  Target because(String context) {
    return new Target(name, atLeast, target, measured, unit, context);
  }

  boolean measuredAtAll() {
    return !Double.isNaN(measured);
  }

  boolean met() {
    return measuredAtAll() && (atLeast ? measured >= target : measured <= target);
  }

  /** "met" (with the margin), "missed by ..." with the gap in the unit and as a share of the target. */
  String verdict() {
    if (!measuredAtAll()) {
      return "not measured";
    }
    double gap = Math.abs(measured - target);
    double share = target == 0 ? Double.NaN : 100.0 * gap / Math.abs(target);
    String how = String.format(Locale.ROOT, "%s%s (%.0f %%)", number(gap), suffix(), share);
    return met() ? "met, " + how + (atLeast ? " above" : " below") : "missed by " + how;
  }

  String targetText() {
    return (atLeast ? "≥ " : "≤ ") + number(target) + suffix();
  }

  String measuredText() {
    return measuredAtAll() ? number(measured) + suffix() : "–";
  }

  private String suffix() {
    return unit.isEmpty() ? "" : " " + unit;
  }

  static String number(double v) {
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  String markdownRow() {
    return "| " + name + " | " + targetText() + " | " + measuredText() + " | " + verdict() + " | " + context + " |";
  }
}
