/**
 * The web console: a small web server of its own that reads the project's topics with read_committed consumers and
 * shows the stream as pictures ({@code /}) and lets people label the images the model was unsure of ({@code /label}),
 * sending each label to the labelled-images topic as {@code publish --label} does.
 *
 * <p>Like the classifier and the trainer it is a service that meets the others only through Kafka topics: it imports
 * the kafka, config and image packages, never classify, train or model (predictions and model metadata are read as
 * the JSON the contract describes).
 */
package io.imagestream.console;
