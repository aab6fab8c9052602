package org.nd4j.nativeblas;

/**
 * Compatibility shim for a bug in Deeplearning4j 1.0.0-M2.1.
 *
 * <p>DL4J's {@code BaseMKLDNNHelper.mklDnnEnabled()} looks up {@code org.nd4j.nativeblas.Nd4jCpu$Environment#isUseMKLDNN}
 * by reflection, but M2.1 moved that class to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and
 * renamed the method {@code isUseONEDNN}. Without this class the check fails and every convolution falls back to the
 * slow im2col path (~10x slower on this project's CNN). This class has the old name and shape and forwards to the new
 * one; it is used only through that reflective lookup.
 */
public final class Nd4jCpu {
  private Nd4jCpu() {}

  public static final class Environment {
    private static final Environment INSTANCE = new Environment();

    private Environment() {}

    public static Environment getInstance() {
      return INSTANCE;
    }

    public boolean isUseMKLDNN() {
      return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
    }
  }
}
