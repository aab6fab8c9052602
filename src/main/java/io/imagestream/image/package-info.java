/**
 * Encoded image bytes to model input pixels, knowing nothing of Kafka or networks.
 *
 * <p>{@link io.imagestream.image.ImagePreprocessor#toPixels} runs, in order: the byte limit; the format from its
 * magic bytes (JPEG, PNG, GIF, BMP; other known image formats are UNSUPPORTED_FORMAT, anything else UNDECODABLE);
 * the pixel limit from the header alone; a javax.imageio decode subsampled towards the target size; samples read
 * from the raster as 8-bit grey or RGB (no Java2D colour conversion); Pillow's grey conversion; Pillow's resize.
 * The aim is that the model sees the numbers a Keras/Pillow pipeline would give it.
 * {@link io.imagestream.image.ImagePreprocessor#rescaleInto} then writes them as floats in NCHW or NHWC.
 */
package io.imagestream.image;
