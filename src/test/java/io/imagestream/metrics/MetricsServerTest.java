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
    System.gc(); // the estimate subtracts the heap in use: let it settle before each reading
    long before = MetricsServer.residentOutsideJvmPools();
    INDArray tensor = Nd4j.create(DataType.FLOAT, 128, 1024, 1024).assign(1); // 512 MiB, every page touched
    System.gc();
    long after = MetricsServer.residentOutsideJvmPools();
    assertTrue(after - before > 300L << 20, "grew by " + ((after - before) >> 20) + " MiB for a 512 MiB tensor");
    assertTrue(tensor.getFloat(127, 1023, 1023) == 1f);
  }
}
