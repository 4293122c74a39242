import { notify } from '../common/notify';
import { apiKeyEnvVar, type ApiKeyStore } from '../common/secrets';

export async function setApiKeyCommand(keys: ApiKeyStore): Promise<void> {
  const key = await keys.prompt();
  if (key) void notify('info', 'GPT Image: API key saved in secret storage.');
}

export async function clearApiKeyCommand(keys: ApiKeyStore): Promise<void> {
  if (!(await keys.hasStored())) {
    void notify('info', 'GPT Image: no API key is stored.');
    return;
  }
  const choice = await notify('warning', 'Remove the stored GPT Image API key from secret storage?', ['Clear API Key'], {
    modal: true,
  });
  if (choice !== 'Clear API Key') return;
  await keys.clear();
  const stillFromEnv = Boolean(process.env[apiKeyEnvVar]?.trim());
  void notify(
    'info',
    stillFromEnv
      ? `GPT Image: API key removed. The ${apiKeyEnvVar} environment variable will still be used.`
      : 'GPT Image: API key removed.',
  );
}
