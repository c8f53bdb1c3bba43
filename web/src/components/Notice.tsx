import type { ApiProblem } from "@/api/errors";
import { describeProblem } from "@/api/errors";

export function ProblemNotice({ problem }: { problem: ApiProblem | null }) {
  if (!problem) return null;
  return (
    <div className="notice error" role="alert">
      {describeProblem(problem)}
    </div>
  );
}

export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id}>
      {message}
    </p>
  );
}
