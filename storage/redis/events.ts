/**
 * DeploymentEvents on Redis pub/sub. Each subscription uses its own
 * connection (a subscribed Redis connection cannot run other commands).
 *
 * @module
 */

import type { DeploymentChange, DeploymentEvents, Subscription } from "../types.ts";
import { type RedisClient, type RedisNotice, reportConnection } from "./connect.ts";

export class RedisDeploymentEvents implements DeploymentEvents {
  readonly #redis: RedisClient;
  readonly #channel: string;

  readonly #notice: RedisNotice;

  constructor(redis: RedisClient, prefix = "flora:", notice: RedisNotice = console.error) {
    this.#redis = redis;
    this.#channel = `${prefix}deployments`;
    this.#notice = notice;
  }

  async publish(change: DeploymentChange): Promise<void> {
    const payload: DeploymentChange = {
      guildId: change.guildId,
      deploymentId: change.deploymentId,
      status: change.status,
    };
    await this.#redis.publish(this.#channel, JSON.stringify(payload));
  }

  async subscribe(listener: (change: DeploymentChange) => void): Promise<Subscription> {
    const subscriber = this.#redis.duplicate();
    reportConnection(subscriber, "redis subscriber", this.#notice);
    await subscriber.connect();
    try {
      await subscriber.subscribe(this.#channel, (message: string) => {
        try {
          listener(JSON.parse(message));
        } catch (error) {
          // One failing listener must not end the subscription.
          console.error("deployment change listener failed:", error);
        }
      });
    } catch (error) {
      subscriber.destroy();
      throw error;
    }
    const channel = this.#channel;
    return {
      async close() {
        if (!subscriber.isOpen) return;
        await subscriber.unsubscribe(channel);
        await subscriber.close();
      },
    };
  }
}
