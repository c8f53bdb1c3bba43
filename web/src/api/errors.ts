import { isRecord } from "@/lib/narrow";

/** The API's error body, `{"code", "message", "details"}`, read defensively: it may come from a proxy too. */
export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  fields: Record<string, string>;
  retryAfterSeconds: number | null;
}

const GENERIC: Record<number, string> = {
  401: "Sua sessão expirou. Entre novamente.",
  403: "Você não tem permissão para isso.",
  404: "Não encontrado.",
  409: "Isso conflita com o estado atual.",
  413: "O envio é grande demais.",
  415: "Formato não aceito.",
  422: "Verifique os campos destacados.",
  429: "Muitas tentativas.",
  503: "O serviço está indisponível no momento.",
};

// The API's messages are in English for developers; where a person can act on a refusal, it is said in pt-BR here.
const BY_CODE: Record<string, string> = {
  certificate_not_found: "Não há certificado: é preciso ter feito check-in no evento.",
  certificate_revoked: "O organizador revogou este certificado; ele não pode mais ser baixado.",
  event_not_ended: "O certificado fica disponível quando o evento terminar.",
  full_name_required: "Preencha nome e sobrenome no seu perfil para emitir o certificado.",
  adjustment_window_closed: "O prazo para ajustar as horas (30 dias depois do evento) já terminou.",
  not_checked_in: "Esta pessoa não fez check-in: não tem horas nem certificado.",
  email_not_verified: "Confirme seu e-mail para organizar mutirões: use o link que enviamos ou peça um novo.",
  invalid_verification_token: "Este link de confirmação é inválido ou expirou.",
  birth_date_required: "Este evento tem limite de idade: informe sua data de nascimento em Minha área, no seu perfil.",
  username_confusable: "Este nome de usuário é parecido demais com um que já existe. Escolha outro.",
};

export function problemFrom(status: number, body: unknown, retryAfter: string | null = null): ApiProblem {
  const record = isRecord(body) ? body : {};
  const rawFields = isRecord(record.details) ? record.details.fields : undefined;
  const fields: Record<string, string> = {};
  if (isRecord(rawFields)) {
    for (const [name, message] of Object.entries(rawFields)) {
      fields[name] = Array.isArray(message) ? message.map(String).join(" ") : String(message);
    }
  }
  const seconds = retryAfter === null ? NaN : Number.parseInt(retryAfter, 10);
  return {
    status,
    code: typeof record.code === "string" ? record.code : `http_${status}`,
    message:
      (typeof record.code === "string" ? BY_CODE[record.code] : undefined) ??
      (typeof record.message === "string" ? record.message : (GENERIC[status] ?? "Algo deu errado.")),
    fields,
    retryAfterSeconds: Number.isFinite(seconds) ? seconds : null,
  };
}

/** One line for a notice: the API's message, plus the wait for 429 and 503. */
export function describeProblem(problem: ApiProblem): string {
  const lead = GENERIC[problem.status];
  const text = problem.status === 422 && Object.keys(problem.fields).length > 0 ? lead : problem.message;
  if ((problem.status === 429 || problem.status === 503) && problem.retryAfterSeconds !== null) {
    return `${text ?? problem.message} Tente de novo em ${problem.retryAfterSeconds} s.`;
  }
  return text ?? problem.message;
}
