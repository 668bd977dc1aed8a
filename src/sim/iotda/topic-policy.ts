/**
 * Which topics a device may subscribe and publish to (docs/iotda.md §1.4), as one pure
 * decision beside the broker glue:
 * - `$oc/devices/{own id}/sys/...`: the platform's system topics;
 * - `$oc/devices/{own id}/user/...`: only custom topics declared in the product;
 * - topics not starting with `$`: free custom topics, allowed by the platform's default
 *   device policy (`system_default_policy`), at most 128 bytes;
 * - anything else starting with `$` (another device's `$oc` topics, `$SYS`): refused.
 */
import { topicMatchesFilter } from './topic-filter';

export interface TopicPolicyContext {
  /** `$oc/devices/{id}/` of the connected device. */
  namespace: string;
  /** Declared custom topic names, i.e. what follows `$oc/devices/{id}/user/`. */
  customTopics: string[];
}

export type TopicVerdict = { allowed: true } | { allowed: false; reason: string };

/** Custom topics and policy-governed topics are at most 128 bytes (device policy limits). */
export const MAX_CUSTOM_TOPIC_BYTES = 128;

const ALLOWED: TopicVerdict = { allowed: true };

export function checkSubscribe(filter: string, ctx: TopicPolicyContext): TopicVerdict {
  return check(filter, ctx, (declared) => declared.some((t) => topicMatchesFilter(filter, t)));
}

export function checkPublish(topic: string, ctx: TopicPolicyContext): TopicVerdict {
  return check(topic, ctx, (declared) => declared.includes(topic));
}

function check(topic: string, ctx: TopicPolicyContext, isDeclared: (declaredTopics: string[]) => boolean): TopicVerdict {
  if (!topic.startsWith('$')) {
    const bytes = Buffer.byteLength(topic, 'utf8');
    return bytes <= MAX_CUSTOM_TOPIC_BYTES ? ALLOWED : { allowed: false, reason: `custom topic of ${bytes} bytes exceeds 128` };
  }
  if (!topic.startsWith(ctx.namespace)) return { allowed: false, reason: 'topic outside the device namespace' };
  const userPrefix = `${ctx.namespace}user/`;
  if (!topic.startsWith(userPrefix)) return ALLOWED;
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > MAX_CUSTOM_TOPIC_BYTES) return { allowed: false, reason: `custom topic of ${bytes} bytes exceeds 128` };
  return isDeclared(ctx.customTopics.map((name) => userPrefix + name))
    ? ALLOWED
    : { allowed: false, reason: 'custom topic not declared in the product' };
}
