package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import io.imagestream.train.TrainerService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser (Debian's headless Chromium through its chromedriver) against a real broker, a real
 * classifier and a real trainer: uncertain images reach /label, a click labels one, the label arrives once on
 * labelled-images and the trainer takes it in; hostile ids stay text; a POST without the CSRF token is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  /** Shown as text it is harmless; parsed as HTML it would set window.__xss. */
  static final String HOSTILE_ID = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";
  private static final int MID_GREYS = 24;

  private final Map<String, byte[]> published = new HashMap<>();
  private ImagestreamConfig config;
  private String labelled;
  private int queued;
  private ClassifierService classifier;
  private TrainerService trainer;
  private Thread trainerThread;
  private final TrainerMetrics trainerMetrics = new TrainerMetrics(new SimpleMeterRegistry());
  private Console console;
  private WebDriver browser;

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "skipped: needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER + ")");
    String images = KafkaTestCluster.uniqueTopic("console-images");
    String predictions = KafkaTestCluster.uniqueTopic("console-predictions");
    String dlq = KafkaTestCluster.uniqueTopic("console-dlq");
    String toLabel = KafkaTestCluster.uniqueTopic("console-to-label");
    String models = KafkaTestCluster.uniqueTopic("console-models");
    labelled = KafkaTestCluster.uniqueTopic("console-labelled");
    KafkaTestCluster.createTopics(new TopicSpec(images, 2, (short) 1, Map.of()),
        new TopicSpec(predictions, 2, (short) 1, Map.of()), new TopicSpec(dlq, 1, (short) 1, Map.of()),
        new TopicSpec(toLabel, 2, (short) 1, Map.of()), new TopicSpec(labelled, 2, (short) 1, Map.of()),
        new TopicSpec(models, 1, (short) 1, Map.of("cleanup.policy", "compact", "max.message.bytes", "67108864")));
    Map<String, String> s = new HashMap<>();
    s.put(ImagestreamConfig.BOOTSTRAP_SERVERS, KafkaTestCluster.bootstrapServers());
    s.put(ImagestreamConfig.TOPIC_IMAGES, images);
    s.put(ImagestreamConfig.TOPIC_PREDICTIONS, predictions);
    s.put(ImagestreamConfig.TOPIC_DLQ, dlq);
    s.put(ImagestreamConfig.TOPIC_TO_LABEL, toLabel);
    s.put(ImagestreamConfig.TOPIC_LABELLED, labelled);
    s.put(ImagestreamConfig.TOPIC_MODELS, models);
    s.put(ImagestreamConfig.MODEL_NAME, "dark-light");
    s.put(ImagestreamConfig.APPLICATION_ID, KafkaTestCluster.uniqueTopic("console-app"));
    s.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, "20");
    // The dark/light model hesitates on mid-greys: with this threshold most of them go to to-label.
    s.put(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD, "0.99");
    s.put(ImagestreamConfig.TRAINER_GROUP_ID, KafkaTestCluster.uniqueTopic("console-trainer"));
    s.put(ImagestreamConfig.TRAINER_INPUT_SHAPE, TestModels.SHAPE.toString());
    s.put(ImagestreamConfig.TRAINER_MIN_NEW_LABELS, "1000"); // it counts labels here; no retraining needed
    s.put(ImagestreamConfig.TRAINER_MAX_INTERVAL_MS, "3600000");
    config = ImagestreamConfig.of(s);

    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(config.clientProperties(), models,
        "test-" + models)) {
      publisher.publish(TestModels.darkLightArtifact());
    }
    classifier = new ClassifierService(config, new ServingModel(TestModels.darkLight()), ClassifierMetrics.discarding());
    classifier.start();
    trainer = new TrainerService(config, null, trainerMetrics, event -> { });
    trainerThread = new Thread(trainer::run, "console-it-trainer");
    trainerThread.start();
    console = Console.start(config, "127.0.0.1", 0);

    // The hostile id is the oldest image, so it comes first on /label; then mid-greys and one broken record.
    long t0 = System.currentTimeMillis() - 60_000;
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      send(producer, images, HOSTILE_ID, t0, TestImages.solid("png", 16, 16, new Color(130, 130, 130)));
      for (int i = 0; i < MID_GREYS; i++) {
        int grey = 118 + i;
        send(producer, images, "mid-" + i + "-" + grey, t0 + 1000 + i, TestImages.solid("png", 16, 16,
            new Color(grey, grey, grey)));
      }
      send(producer, images, "broken-upload.jpg", t0 + 2000, "this is not an image".getBytes(StandardCharsets.UTF_8));
    }

    // Every image classified (its to-label record goes out in the same transaction): the queue is complete.
    assertEquals(MID_GREYS + 1, TopicReader.readAtLeast(List.of(predictions), MID_GREYS + 1, Duration.ofSeconds(120))
        .size());
    queued = TopicReader.readAtLeast(List.of(toLabel), 1, Duration.ofSeconds(30)).size();
    assertTrue(queued >= 3 && queued <= MID_GREYS + 1, queued + " uncertain");

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000");
    browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build(), options);
  }

  private void send(KafkaProducer<byte[], byte[]> producer, String topic, String id, long timestamp, byte[] value) {
    published.put(id, value);
    producer.send(new ProducerRecord<>(topic, null, timestamp, id.getBytes(StandardCharsets.UTF_8), value));
  }

  @AfterAll
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (console != null) {
      console.close();
    }
    if (trainer != null) {
      trainer.close();
      trainerThread.join(60_000);
    }
    if (classifier != null) {
      classifier.close();
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + console.port() + path;
  }

  private WebDriverWait await(int seconds) {
    return new WebDriverWait(browser, Duration.ofSeconds(seconds));
  }

  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  private Object asyncJs(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeAsyncScript(script, args);
  }

  private void screenshot(String name) throws Exception {
    Path target = Path.of("target", name);
    Files.createDirectories(target.getParent());
    Files.write(target, ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
  }

  @Test
  @Order(1)
  void theLivePageShowsPredictionsAsPicturesAndDeadLettersWithTheirReason() throws Exception {
    browser.get(url("/"));
    await(90).until(d -> d.findElements(By.cssSelector("#images figure img")).size() >= 10);
    await(30).until(d -> (Boolean) js("return Array.from(document.querySelectorAll('#images figure img'))"
        + ".some(i => i.complete && i.naturalWidth === 16)"));
    await(30).until(d -> d.findElements(By.cssSelector("#dead .reason")).stream()
        .anyMatch(e -> e.getText().equals("UNDECODABLE")));
    await(30).until(d -> d.findElement(By.id("served")).getText().equals("v1"));
    await(30).until(d -> d.findElement(By.id("verdict")).getText().startsWith("v1 "));
    await(30).until(d -> d.findElement(By.id("nav-left")).getText().equals(Integer.toString(queued)));
    screenshot("console-live.png");
  }

  @Test
  @Order(2)
  void anIdCarryingHtmlShowsAsTextAndRunsNothing() {
    browser.get(url("/"));
    await(30).until(d -> d.findElements(By.cssSelector("#images .caption-meta .id")).stream()
        .anyMatch(e -> HOSTILE_ID.equals(e.getAttribute("textContent"))));
    browser.get(url("/label"));
    await(90).until(d -> d.findElement(By.id("card")).isDisplayed());
    assertEquals(HOSTILE_ID, browser.findElement(By.id("image-id")).getAttribute("textContent"));
    assertEquals(true, js("return window.__xss === undefined"), "the id ran as script");
    assertEquals(0L, js("return document.querySelectorAll('img[src=\"x\"], main script').length"));
  }

  @Test
  @Order(3)
  void aClickLabelsTheImageOnceAndTheTrainerCountsIt() throws Exception {
    browser.get(url("/label"));
    await(90).until(d -> d.findElement(By.id("card")).isDisplayed());
    await(30).until(d -> (Boolean) js("const i = document.getElementById('big-image');"
        + " return i.complete && i.naturalWidth === 16"));
    String first = browser.findElement(By.id("image-id")).getAttribute("textContent");
    List<String> buttons = browser.findElements(By.cssSelector("#buttons .class-button .name")).stream()
        .map(WebElement::getText).toList();
    assertEquals(TestModels.DARK_LIGHT, buttons, "one button per class, named after it");
    assertEquals(2, browser.findElements(By.cssSelector("#guesses li")).size(), "the top guesses (of 2 classes)");
    await(30).until(d -> d.findElement(By.id("count-left")).getText().equals(Integer.toString(queued)));
    screenshot("console-label.png");

    browser.findElement(By.cssSelector("#buttons .class-button[data-label='light']")).click();
    await(30).until(d -> d.findElement(By.id("message")).getAttribute("class").contains("ok"));
    // The next image, by keyboard: "1" is the first class.
    await(30).until(d -> !first.equals(d.findElement(By.id("image-id")).getAttribute("textContent")));
    String second = browser.findElement(By.id("image-id")).getAttribute("textContent");
    browser.findElement(By.tagName("body")).sendKeys("1");
    await(30).until(d -> d.findElement(By.id("message")).getText().contains(" as dark"));
    await(30).until(d -> d.findElement(By.id("count-labelled")).getText().equals("2"));
    await(30).until(d -> d.findElement(By.id("count-left")).getText().equals(Integer.toString(queued - 2)));

    // A second click on the same image (two people, or a double click) sends nothing more.
    Object again = asyncJs("const done = arguments[arguments.length - 1];"
        + "fetch('/api/label', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token':"
        + " document.querySelector('meta[name=\"csrf-token\"]').content}, body: JSON.stringify({id: arguments[0],"
        + " label: 'dark'})}).then(r => done(r.status));", first);
    assertEquals(409L, again);

    List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAtLeast(List.of(labelled), 2,
        Duration.ofSeconds(30));
    assertEquals(2, records.size(), "exactly one record per labelled image");
    Map<String, ConsumerRecord<byte[], byte[]>> byId = new HashMap<>();
    records.forEach(r -> byId.put(new String(r.key(), StandardCharsets.UTF_8), r));
    assertEquals(java.util.Set.of(first, second), byId.keySet());
    assertEquals("light", new String(byId.get(first).headers().lastHeader("label").value(), StandardCharsets.UTF_8));
    assertEquals("dark", new String(byId.get(second).headers().lastHeader("label").value(), StandardCharsets.UTF_8));
    assertArrayEquals(published.get(first), byId.get(first).value(), "the original bytes");
    assertArrayEquals(published.get(second), byId.get(second).value());
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> trainerMetrics.registry()
        .get("imagestream.trainer.labelled.images").counter().count() == 2.0);
  }

  @Test
  @Order(4)
  void aPostWithoutTheCsrfTokenIsRefused() {
    browser.get(url("/label"));
    Object status = asyncJs("const done = arguments[arguments.length - 1];"
        + "fetch('/api/label', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        + " body: JSON.stringify({id: 'mid-0-118', label: 'dark'})}).then(r => done(r.status));");
    assertEquals(403L, status);
    List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAtLeast(List.of(labelled), 2,
        Duration.ofSeconds(30));
    assertEquals(2, records.size(), "nothing more was sent");
  }

  @Test
  @Order(5)
  void aNonLoopbackStartWithoutATokenIsRefused() {
    AccessGuard.RefusedException e = assertThrows(AccessGuard.RefusedException.class,
        () -> Console.start(config, "0.0.0.0", 0));
    assertTrue(e.getMessage().contains(ImagestreamConfig.CONSOLE_TOKEN), e.getMessage());
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
