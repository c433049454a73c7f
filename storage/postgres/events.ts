/**
 * DeploymentEvents on PostgreSQL LISTEN/NOTIFY, for installs with a
 * database but no Redis: every host connected to the database hears every
 * change. The channel name includes the schema so test runs stay apart.
 *
 * @module
 */

import type postgres from "postgres";
import type { DeploymentChange, DeploymentEvents, Subscription } from "../types.ts";

export class PgDeploymentEvents implements DeploymentEvents {
  readonly #sql: postgres.Sql;
  readonly #channel: string;

  constructor(sql: postgres.Sql, schema = "public") {
    this.#sql = sql;
    // PostgreSQL identifiers stop at 63 bytes; cut here so LISTEN and pg_notify agree.
    this.#channel = `flora_deployments_${schema}`.slice(0, 63);
  }

  async publish(change: DeploymentChange): Promise<void> {
    const payload: DeploymentChange = {
      guildId: change.guildId,
      deploymentId: change.deploymentId,
      status: change.status,
    };
    await this.#sql.notify(this.#channel, JSON.stringify(payload));
  }

  async subscribe(listener: (change: DeploymentChange) => void): Promise<Subscription> {
    const meta = await this.#sql.listen(this.#channel, (payload) => {
      try {
        listener(JSON.parse(payload));
      } catch (error) {
        // One failing listener must not end the subscription.
        console.error("deployment change listener failed:", error);
      }
    });
    return { close: () => meta.unlisten() };
  }
}
