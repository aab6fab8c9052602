package io.imagestream.console;

/** Where a record is: what predictions and dead letters name as their source. */
record Coordinates(String topic, int partition, long offset) {}
