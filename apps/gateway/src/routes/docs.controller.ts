import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../http/auth.guard';
import { openApiDocument } from '../openapi/openapi.document';
import { DOCS_PAGE, scalarBundle } from '../openapi/scalar-bundle';

/** The API reference (Scalar, served from the installed package) and the OpenAPI document. */
@Controller('docs')
@Public()
export class DocsController {
  private readonly document = openApiDocument();
  /** Read on first use: 4 MB that a gateway nobody browses never loads. */
  private bundle?: string;

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page() {
    return DOCS_PAGE;
  }

  @Get('js/scalar.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  script() {
    return (this.bundle ??= scalarBundle());
  }

  @Get('openapi.json')
  json() {
    return this.document;
  }
}
