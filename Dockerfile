# imagestream: one image for every command (classify, train, topics, publish, ...); the command is the container's
# arguments, e.g. `docker run IMAGE classify --bootstrap-servers kafka:9092`.
# Build the jar first (the image only copies it): mvn -q -DskipTests package && docker build -t imagestream .
FROM eclipse-temurin:17-jre

# libjpeg-turbo's TurboJPEG library: JPEGs decode several times faster than with the JDK's ImageIO, and photos scale
# down while decoding (imagestream.decode.jpeg.native; without it, ImageIO). Ubuntu (this base) names it libturbojpeg.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libturbojpeg \
 && rm -rf /var/lib/apt/lists/*

# A system user without a login shell; its home holds JavaCPP's cache of ND4J's native libraries (~/.javacpp).
RUN groupadd --system imagestream \
 && useradd --system --gid imagestream --create-home --home-dir /home/imagestream --shell /usr/sbin/nologin imagestream \
 && mkdir -p /app/samples \
 && chown imagestream:imagestream /home/imagestream

WORKDIR /app
# Dependencies first: they change less often than the application, so this layer is usually cached.
COPY target/lib/ /app/lib/
COPY target/imagestream.jar /app/imagestream.jar
# Sample images for the compose file's publisher: as they are (flat), and sorted into class folders
# (samples/by-label/<label>/...) for `publish --label-from-folder`.
COPY src/main/resources/samples/fashion-mnist/ /app/samples/fashion-mnist/
RUN cd /app/samples/fashion-mnist \
 && while IFS="$(printf '\t')" read -r file label; do \
      mkdir -p "/app/samples/by-label/$label" && cp "$file" "/app/samples/by-label/$label/"; \
    done < index.txt

USER imagestream
# Inside a container /metrics and /health must be reachable from other containers (Prometheus, the health check);
# the port is the command's --metrics-port (IMAGESTREAM_METRICS_PORT overrides its default: 9400 classify, 9401 train).
ENV IMAGESTREAM_METRICS_HOST=0.0.0.0 \
    JAVA_OPTS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
EXPOSE 9400 9401

# Healthy when GET /health answers 200 (processing, with a model loaded). No curl in the base image: bash's /dev/tcp.
# Commands without a metrics endpoint (topics, publish) should disable it (docker-compose.yml does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["bash", "-c", \
  "exec 3<>/dev/tcp/127.0.0.1/${IMAGESTREAM_METRICS_PORT:-9400} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# exec: java is PID 1's replacement, so SIGTERM from `docker stop` reaches it and the services close cleanly.
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/imagestream.jar \"$@\"", "imagestream"]
CMD ["--help"]
