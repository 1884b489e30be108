import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { ArbiterError } from '../../core/errors.js';
import { parseJsonBody, type ServerLimits } from '../limits.js';
import { bodyRefusals, errorResponses } from '../schemas.js';

/** What the GitHub webhook answers (GitHub shows it in the App's delivery log). */
export const GitHubDeliveryAnswerSchema = Type.Object(
  {
    delivery: Type.String(),
    outcome: Type.Union([Type.Literal('accepted'), Type.Literal('ignored'), Type.Literal('rejected')]),
    decision: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** What the GitLab webhook answers (GitLab shows it in the webhook's Recent events). */
export const GitLabDeliveryAnswerSchema = GitHubDeliveryAnswerSchema;

export const SlackInteractionAnswerSchema = Type.Object(
  { outcome: Type.String({ description: 'recorded, or refused (the reason is shown in the message)' }) },
  { additionalProperties: false },
);

/** Slack interaction payloads are a few kilobytes. */
export const slackBodyLimit = 64 * 1024;

/** GitHub payloads for the events acted on are small; GitHub's own cap is 25 MB. */
export const githubBodyLimit = 1024 * 1024;

/** GitLab deployment and job events are small; GitLab's own cap is 25 MB. */
export const gitlabBodyLimit = 1024 * 1024;

/**
 * How a provider webhook refuses a delivery: unsigned, forged, not configured, replayed — and, with
 * `bodyRefusals`, malformed, too large, not JSON.
 */
const webhookRefusals = errorResponses(401, 403, 404, 409);

/** The body as the provider sent it (read as text, so that its signature can be checked). */
function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : '';
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Provider webhooks. Public routes (no bearer token): each delivery proves itself by the
 * provider's signature over the exact body, so the body is read as text and parsed only after
 * the signature holds.
 */
export function integrationRoutes(
  app: FastifyInstance,
  arbiter: Arbiter,
  limits: Readonly<ServerLimits>,
): void {
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, body),
    );
    scope.post(
      '/v1/integrations/slack/interactions',
      {
        bodyLimit: slackBodyLimit,
        schema: {
          tags: ['integrations'],
          summary:
            "Slack interaction endpoint: Approve / Reject clicks on pending decisions, signed with Slack's signing secret",
          response: { 200: SlackInteractionAnswerSchema, ...errorResponses(401, 404), ...bodyRefusals },
        },
      },
      async (request) => {
        if (!arbiter.slack)
          throw new ArbiterError(
            'ARB_ERR_INTEGRATION_NOT_CONFIGURED',
            'Slack approval buttons are not configured on this server (arbiter serve --slack-signing-secret-env …)',
          );
        return arbiter.slack.receive(
          {
            timestamp: header(request.headers['x-slack-request-timestamp']),
            signature: header(request.headers['x-slack-signature']),
            body: bodyText(request.body),
          },
          (text) => parseJsonBody(text, limits.jsonDepth),
        );
      },
    );
    scope.post(
      '/v1/integrations/github/webhook',
      {
        bodyLimit: githubBodyLimit,
        schema: {
          tags: ['integrations'],
          summary:
            'GitHub App webhook: deployment_protection_rule deliveries become deploy decisions, reviewed by callback',
          response: { 200: GitHubDeliveryAnswerSchema, ...webhookRefusals, ...bodyRefusals },
        },
      },
      async (request) => {
        if (!arbiter.github)
          throw new ArbiterError(
            'ARB_ERR_INTEGRATION_NOT_CONFIGURED',
            'the GitHub App is not configured on this server (arbiter serve --github-app-id …)',
          );
        return arbiter.github.receive(
          {
            deliveryId: header(request.headers['x-github-delivery']),
            event: header(request.headers['x-github-event']),
            signature: header(request.headers['x-hub-signature-256']),
            body: bodyText(request.body),
          },
          (text) => parseJsonBody(text, limits.jsonDepth),
        );
      },
    );
    scope.post(
      '/v1/integrations/gitlab/webhook',
      {
        bodyLimit: gitlabBodyLimit,
        schema: {
          tags: ['integrations'],
          summary:
            "GitLab webhook: deployment events report outcomes, job events wake the blocked-deployment poller (X-Gitlab-Token, or a signing token's webhook-signature)",
          response: { 200: GitLabDeliveryAnswerSchema, ...webhookRefusals, ...bodyRefusals },
        },
      },
      async (request) => {
        const webhooks = arbiter.gitlab?.webhooks;
        if (!webhooks)
          throw new ArbiterError(
            'ARB_ERR_INTEGRATION_NOT_CONFIGURED',
            'GitLab webhooks are not configured on this server (arbiter serve --gitlab-token-env … with --gitlab-webhook-secret-env … or --gitlab-signing-token-env …)',
          );
        return webhooks.receive(
          {
            deliveryId:
              header(request.headers['idempotency-key']) ?? header(request.headers['x-gitlab-event-uuid']),
            event: header(request.headers['x-gitlab-event']),
            token: header(request.headers['x-gitlab-token']),
            webhookId: header(request.headers['webhook-id']),
            webhookTimestamp: header(request.headers['webhook-timestamp']),
            webhookSignature: header(request.headers['webhook-signature']),
            body: bodyText(request.body),
          },
          (text) => parseJsonBody(text, limits.jsonDepth),
        );
      },
    );
  });
}
