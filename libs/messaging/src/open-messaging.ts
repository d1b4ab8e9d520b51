import { Kafka, logLevel } from 'kafkajs';
import type { EventStore } from '@forge/event-store';
import { InProcessBus } from './bus/in-process-bus';
import { KafkaBus } from './bus/kafka-bus';
import type { IntegrationBus } from './bus/port';
import { BullMqJobQueue } from './jobs/bullmq-queue';
import { InProcessJobQueue } from './jobs/in-process-queue';
import type { JobQueue } from './jobs/port';
import { defaultLogger, kafkaLogCreator, type Logger } from './logger';
import { KafkaRelay, type RelayOptions } from './relay/kafka-relay';
import { ensureMessagingSchema } from './schema';
import type { TransactionRunner } from './sql';

export interface MessagingConfig {
  /** Kafka brokers (KAFKA_BROKERS); absent → the in-process bus. */
  kafkaBrokers?: string[];
  /** Redis for BullMQ (REDIS_URL); absent → the in-process job runner. */
  redisUrl?: string;
  /** Run the relay in this process (one per deployment is enough; more only publish duplicates). */
  runRelay?: boolean;
  relay?: RelayOptions;
  logger?: Logger;
}

export interface Messaging {
  bus: IntegrationBus;
  jobs: JobQueue;
  /** Present when Kafka is configured and runRelay is set; already started. */
  relay?: KafkaRelay;
  close(): Promise<void>;
}

/** Chooses the adapters from configuration: Kafka and BullMQ when configured, else in-process. */
export async function openMessaging(store: EventStore & TransactionRunner, config: MessagingConfig): Promise<Messaging> {
  const logger = config.logger ?? defaultLogger('messaging');
  await ensureMessagingSchema(store);
  const jobs: JobQueue = config.redisUrl ? new BullMqJobQueue(config.redisUrl, { logger }) : new InProcessJobQueue({ logger });
  let bus: IntegrationBus;
  let relay: KafkaRelay | undefined;
  if (config.kafkaBrokers && config.kafkaBrokers.length > 0) {
    const kafka = new Kafka({ clientId: 'forge', brokers: config.kafkaBrokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });
    bus = new KafkaBus(kafka, store, { logger, topicPrefix: config.relay?.topicPrefix });
    if (config.runRelay) {
      relay = new KafkaRelay(store, store, kafka, { logger, ...config.relay });
      await relay.start();
    }
  } else {
    bus = new InProcessBus(store, store, { logger });
  }
  return {
    bus,
    jobs,
    relay,
    close: async () => {
      await bus.close();
      await relay?.stop();
      await jobs.close();
    },
  };
}
