package io.imagestream.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.model.NativeBackend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.api.Test;

/** The ND4J off-heap gauge sees tensors that ND4J allocates outside the Java heap. */
class MetricsServerTest {

  @Test
  void nativeMemoryOutsideTheJvmPoolsGrowsWithAnNd4jTensor() {
    NativeBackend.init();
    long before = MetricsServer.residentOutsideJvmPools();
    INDArray tensor = Nd4j.create(DataType.FLOAT, 64, 1024, 1024).assign(1); // 256 MiB, every page touched
    long after = MetricsServer.residentOutsideJvmPools();
    assertTrue(after - before > 200L << 20, "grew by " + ((after - before) >> 20) + " MiB for a 256 MiB tensor");
    assertTrue(tensor.getFloat(63, 1023, 1023) == 1f);
  }
}
